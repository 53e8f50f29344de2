from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "eloket.api"
    verbose_name = "API"
