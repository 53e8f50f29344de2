from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "eloket.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from eloket.notifications import services  # noqa: F401  (subscribes to case changes)
