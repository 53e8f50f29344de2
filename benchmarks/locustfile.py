"""Locust users for benchmarks/load.py: anonymous residents of several demo municipalities
browsing the home page, the forum and verifying a document code."""

import random

from locust import HttpUser, between, task

MUNICIPALITIES = ("gent", "brugge", "deinze", "koksijde", "de-panne", "roeselare")


class Resident(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.municipality = random.choice(MUNICIPALITIES)

    @task(5)
    def home(self) -> None:
        self.client.get(f"/{self.municipality}/", name="home")

    @task(3)
    def forum(self) -> None:
        self.client.get(f"/{self.municipality}/forum/", name="forum")

    @task(1)
    def verify(self) -> None:
        self.client.get("/verify/", name="verify")
