from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "eloket.register"
    verbose_name = "Population register"
