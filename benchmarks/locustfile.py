"""Locust users for benchmarks/load.py: a city's peak across several demo municipalities.

The mix (issue 16, point 3), each user of one municipality:

- `Visitor` (most users): the home page, the service catalogue, the forum and a topic, the
  petitions, the verification form and a look-up of a document code that citizens of this
  run were issued;
- `Citizen`: logs in through the demo identity provider as one of the municipality's demo
  residents (the pages a browser goes through: the provider's page, the callback), then
  follows their data and their orders' timelines, orders certificates (instant ones, sealed
  by the workers, and ones an officer reviews) through the order form's two steps, votes on
  forum opinions and now and then posts one;
- `Officer` (one per demo clerk: a TOTP code is taken once): logs in with the password and
  the code, and works the queue: the list, an order, the requests.

Everything goes through the pages a browser uses, forms with their CSRF fields included.
Each simulated person has an address of their own (`X-Forwarded-For` from the TEST-NET
ranges, never contacted: nginx appends its peer, and Eloket takes the right-most address
that is not a proxy's), so per-address rate limits count per person as they would.

The demo's TOTP secrets and password are deterministic (demo/services.py): the seed is
`ELOKET_DEMO_SEED`, as for the server.
"""

import itertools
import json
import os
import random
import re
import sys
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_forms import FORM, attribute, demo_totp_key, form_values, page_forms, totp

MUNICIPALITIES = ("gent", "brugge", "deinze", "koksijde", "de-panne", "roeselare")
INSTANT = ("residence", "household_composition", "life", "nationality")
REVIEWED = ("birth_extract",)
DEMO_PASSWORD = "eloket-demo"  # noqa: S105 (the documented demo credential)

# benchmarks/faults.py's ledger (LOAD_LEDGER): every request with its time and outcome,
# and what clients got a success for (orders, opinions), to compare with the database.
_ledger = open(os.environ["LOAD_LEDGER"], "a") if os.environ.get("LOAD_LEDGER") else None  # noqa: SIM115


def note(**entry: Any) -> None:
    if _ledger is not None:
        _ledger.write(json.dumps(entry) + "\n")
        _ledger.flush()


@events.request.add_listener
def _record(request_type: str, name: str, response: Any, exception: Any, start_time: float,
            **_kwargs: Any) -> None:  # fmt: skip
    if _ledger is not None:
        note(t=start_time, name=name, ok=exception is None)


# Document codes issued in this run, per municipality: what visitors look up.
issued_codes: dict[str, list[str]] = {slug: [] for slug in MUNICIPALITIES}
_addresses = itertools.count(1)


class Person(HttpUser):
    abstract = True

    def on_start(self) -> None:
        self.municipality = random.choice(MUNICIPALITIES)
        number = next(_addresses)
        address = f"198.51.{100 + number // 250 % 2}.{number % 250 + 1}"
        self.client.headers["X-Forwarded-For"] = address
        self.client.headers["Accept-Language"] = random.choice(("nl", "fr", "en"))
        # What this municipality offers (a module it has not enabled answers 404): its
        # service catalogue links to it.
        catalogue = self.client.get(f"/{self.municipality}/services/", name="catalogue")
        self.offers = {"services"} | {
            section
            for section in ("forum", "petitions")
            if f'href="/{self.municipality}/{section}/' in catalogue.text
        }

    def submit(self, url: str, form: str, name: str, button: str | None = None) -> Any:
        """Post `form` of the page at `url` as a browser would (the page is its referer)."""
        action = attribute(form.split(">", 1)[0], "action") or url
        return self.client.post(
            action, data=form_values(form, button), headers={"Referer": url}, name=name
        )


class Visitor(Person):
    weight = 6
    wait_time = between(1, 4)

    @task(5)
    def home(self) -> None:
        self.client.get(f"/{self.municipality}/", name="home")

    @task(3)
    def catalogue(self) -> None:
        if "services" in self.offers:
            self.client.get(f"/{self.municipality}/services/", name="catalogue")

    @task(3)
    def forum(self) -> None:
        if "forum" not in self.offers:
            return
        listing = self.client.get(f"/{self.municipality}/forum/", name="forum")
        topics = re.findall(rf'href="/{self.municipality}/forum/(\d+)"', listing.text)
        if topics:
            self.client.get(f"/{self.municipality}/forum/{random.choice(topics)}", name="topic")

    @task(2)
    def petitions(self) -> None:
        if "petitions" in self.offers:
            self.client.get(f"/{self.municipality}/petitions/", name="petitions")

    @task(1)
    def verify(self) -> None:
        self.client.get("/verify/", name="verify form")
        codes = issued_codes[self.municipality]
        if codes:
            self.client.get(f"/verify/{random.choice(codes)}", name="verify code")


class Citizen(Person):
    weight = 3
    wait_time = between(2, 6)

    def on_start(self) -> None:
        super().on_start()
        self.orders: list[str] = []
        self.log_in()

    def log_in(self) -> None:
        pick = self.client.get(f"/{self.municipality}/login/oidc", name="login: provider")
        people = [
            form for form in FORM.findall(pick.text) if 'type="hidden" name="given_name"' in form
        ]
        if not people:
            return
        form = random.choice(people)
        action = attribute(form.split(">", 1)[0], "action") or pick.url
        with self.client.post(action, data=form_values(form, None), name="login: as a resident",
                              headers={"Referer": pick.url}, catch_response=True) as answer:  # fmt: skip
            # The demo lists a deceased resident to show the refusal: the answer it must get.
            if answer.status_code == 403 and "<code>deceased_person</code>" in answer.text:
                answer.success()

    @task(3)
    def my_data(self) -> None:
        self.client.get(f"/{self.municipality}/my/", name="my data")

    @task(3)
    def timeline(self) -> None:
        if self.orders:
            page = self.client.get(
                f"/{self.municipality}/orders/{random.choice(self.orders)}", name="order page"
            )
            self._note_code(page.text)
        else:
            self.client.get(f"/{self.municipality}/my/orders", name="my orders")

    @task(2)
    def order_instant(self) -> None:
        self._order(random.choice(INSTANT), "order (instant)")

    @task(1)
    def order_reviewed(self) -> None:
        self._order(random.choice(REVIEWED), "order (review)")

    @task(3)
    def vote(self) -> None:
        if "forum" not in self.offers:
            return
        listing = self.client.get(f"/{self.municipality}/forum/", name="forum")
        topics = re.findall(rf'href="/{self.municipality}/forum/(\d+)"', listing.text)
        if not topics:
            return
        url = f"/{self.municipality}/forum/{random.choice(topics)}"
        page = self.client.get(url, name="topic")
        votes = re.findall(
            r'formaction="([^"]+/act)" name="action" value="(agree|disagree|pass)"', page.text
        )
        form = next((form for form in page_forms(page.text) if 'class="opinions"' in form), None)
        if votes and form:
            action, choice = random.choice(votes)
            data = {**form_values(form, None), "action": choice}
            data.pop("text", None)
            self.client.post(action, data=data, headers={"Referer": url}, name="vote")

    @task(1)
    def opinion(self) -> None:
        if "forum" not in self.offers:
            return
        listing = self.client.get(f"/{self.municipality}/forum/", name="forum")
        topics = re.findall(rf'href="/{self.municipality}/forum/(\d+)"', listing.text)
        if not topics:
            return
        url = f"/{self.municipality}/forum/{random.choice(topics)}"
        page = self.client.get(url, name="topic")
        form = next((form for form in page_forms(page.text) if "/post" in form), None)
        if form is None:
            return
        data = form_values(form)
        data["text"] = (
            random.choice(
                (
                    "More trees on the square, and benches in the shade.",
                    "Keep the market on Saturday; move the parking to the edge of town.",
                    "Safe bicycle lanes to the schools first, please.",
                    "Plus de bancs et de fontaines dans le parc.",
                    "Meer groen en minder verkeer in de straten rond de school.",
                )
            )
            + f" ({random.randint(1, 10**6)})"
        )
        sent = self.client.post(attribute(form.split(">", 1)[0], "action") or url, data=data,
                                headers={"Referer": url}, name="opinion")  # fmt: skip
        # Taken: sent back to the topic with a notice that is no error (published, or
        # waiting for a moderator). Not the "similar opinions" page, not a refusal.
        taken = sent.ok and sent.history and 'class="notice error"' not in sent.text
        if taken and 'class="notice"' in sent.text:
            note(opinion=data["text"])

    def _order(self, kind: str, name: str) -> None:
        url = f"/{self.municipality}/certificates/{kind}/order"
        page = self.client.get(url, name=f"{name}: form")
        forms = page_forms(page.text)
        if page.status_code != 200 or not forms:
            return
        review = self.submit(url, forms[0], f"{name}: check")
        forms = page_forms(review.text)
        if not forms:
            return
        done = self.submit(review.url, forms[0], f"{name}: confirm", button="confirm")
        code = re.search(rf"/{self.municipality}/orders/([A-Z0-9]+)", done.url)
        if code and done.ok:
            self.orders.append(code.group(1))
            note(order=code.group(1), kind=kind)
            self._note_code(done.text)

    def _note_code(self, page: str) -> None:
        found = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b", page)
        codes = issued_codes[self.municipality]
        if found and found.group(1) not in codes:
            codes.append(found.group(1))
            del codes[:-200]


class Officer(HttpUser):
    """A clerk of one municipality at work: one per demo clerk, each logged in once."""

    fixed_count = len(MUNICIPALITIES)
    wait_time = between(3, 8)
    _clerks = itertools.cycle(MUNICIPALITIES)

    def on_start(self) -> None:
        self.municipality = next(self._clerks)
        username = f"{self.municipality}.clerk"
        self.client.headers["X-Forwarded-For"] = (
            f"203.0.113.{MUNICIPALITIES.index(self.municipality) + 1}"
        )
        url = "/auth/officer/login"
        page = self.client.get(url, name="officer: login")
        form = next(iter(page_forms(page.text)), "")
        data = {**form_values(form), "username": username, "password": DEMO_PASSWORD}
        answer = self.client.post(
            url, data=data, headers={"Referer": url}, name="officer: password"
        )
        form = next(iter(page_forms(answer.text)), "")
        data = {**form_values(form), "code": totp(demo_totp_key(username))}
        self.client.post(
            answer.url, data=data, headers={"Referer": answer.url}, name="officer: code"
        )

    @task(3)
    def queue(self) -> None:
        listing = self.client.get(f"/{self.municipality}/backoffice/orders/", name="queue: orders")
        codes = re.findall(
            rf'href="/{self.municipality}/backoffice/orders/([A-Z0-9]+)"', listing.text
        )
        if codes:
            self.client.get(
                f"/{self.municipality}/backoffice/orders/{random.choice(codes)}",
                name="queue: an order",
            )

    @task(1)
    def requests(self) -> None:
        self.client.get(f"/{self.municipality}/backoffice/requests/", name="queue: requests")
