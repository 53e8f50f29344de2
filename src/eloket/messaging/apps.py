from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "eloket.messaging"
    label = "messaging"
    verbose_name = "Messaging with the national registries"

    def ready(self) -> None:
        # Outbox kinds, the chain family, the periodic time-stamp of the log.
        from eloket.messaging import inbox, outgoing, timestamps  # noqa: F401
