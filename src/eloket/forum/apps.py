from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "eloket.forum"
    verbose_name = "Policy forum"

    def ready(self) -> None:
        # Catalogue entries, the outbox kind of its e-mails and its periodic jobs.
        from eloket.forum import catalogue, notify  # noqa: F401
