from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "eloket.services"
    verbose_name = "Services (requests with a form)"

    def ready(self) -> None:
        # The `service` case handler and the catalogue's entries.
        from eloket.services import handler, jobs  # noqa: F401
