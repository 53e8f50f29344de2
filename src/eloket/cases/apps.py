from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "eloket.cases"
    verbose_name = "Requests and their tracking"

    def ready(self) -> None:
        # The generic handler, delivery channels and the outbox kinds of the engine.
        from eloket.cases import catalogue, delivery, handlers  # noqa: F401
