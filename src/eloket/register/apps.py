from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "eloket.register"
    verbose_name = "Population register"

    def ready(self) -> None:
        # The access log's chains (for `audit verify`), the outbox kind of changes.
        from eloket.register import access_log, events  # noqa: F401
