from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "eloket.messaging"
    label = "messaging"
    verbose_name = "Messaging with the national registries"

    def ready(self) -> None:
        from eloket.messaging import inbox, outgoing  # noqa: F401  (outbox kinds, chain family)
