from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "eloket.outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        from eloket.outbox import delivery, email  # noqa: F401  (kinds and the periodic job)
