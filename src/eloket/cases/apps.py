from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "eloket.cases"
    verbose_name = "Requests and their tracking"
