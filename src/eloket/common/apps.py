from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "eloket.common"

    def ready(self) -> None:
        from eloket.common import checks  # noqa: F401  (registers the system checks)
