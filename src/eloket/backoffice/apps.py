from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "eloket.backoffice"
    verbose_name = "Back office"
