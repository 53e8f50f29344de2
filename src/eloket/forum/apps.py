from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "eloket.forum"
    verbose_name = "Policy forum"

    def ready(self) -> None:
        from eloket.forum import catalogue  # noqa: F401  (catalogue entries)
