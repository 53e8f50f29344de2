from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "eloket.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from eloket.notifications import listeners  # noqa: F401  (listens to case changes)
