from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operating the platform (docs/operations.md, docs/backup.md): readiness, metrics,
    request ids carried into tasks, the worker's heartbeat, backups. An interface app: it
    reads the others; none imports it."""

    name = "eloket.ops"

    def ready(self) -> None:
        from eloket.ops import tasks  # noqa: F401  (signal receivers, the heartbeat job)
