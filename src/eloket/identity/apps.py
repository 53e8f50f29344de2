from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "eloket.identity"
    verbose_name = "Identity and access"

    def ready(self) -> None:
        from eloket.identity import signals  # noqa: F401  (tokens die with the credentials)
        from eloket.identity.providers import registry  # noqa: F401  (identity providers)
