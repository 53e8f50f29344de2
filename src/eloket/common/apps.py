from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "eloket.common"

    def ready(self) -> None:
        # The system checks, and the periodic job that writes checkpoints.
        from eloket.common import checkpoints, checks  # noqa: F401
        from eloket.common.ids import register_converters

        # `<id:...>` in the URLconfs (bounded keys), before any URLconf is read.
        register_converters()
