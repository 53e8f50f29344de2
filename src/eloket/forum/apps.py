from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "eloket.forum"
    verbose_name = "Policy forum"

    def ready(self) -> None:
        # Catalogue entries, the outbox kind of its e-mails and its periodic jobs (the
        # analysis's among them).
        from eloket.forum import analysis_jobs, catalogue, notify, signals  # noqa: F401
