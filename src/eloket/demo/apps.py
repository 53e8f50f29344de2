from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "eloket.demo"
    verbose_name = "Demo data"
