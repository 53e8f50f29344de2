from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "eloket.identity"
    verbose_name = "Identity and access"
