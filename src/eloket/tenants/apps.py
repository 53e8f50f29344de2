from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "eloket.tenants"
    verbose_name = "Municipalities"
