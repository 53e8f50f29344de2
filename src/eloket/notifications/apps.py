from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "eloket.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Listens to case changes, and to mutations the national register applied.
        from eloket.notifications import listeners, register_changes  # noqa: F401
