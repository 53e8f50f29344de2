from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "eloket.web"
    verbose_name = "Citizen web"
