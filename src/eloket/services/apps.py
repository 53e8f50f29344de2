from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "eloket.services"
    verbose_name = _("Services (requests with a form)")

    def ready(self) -> None:
        # The `service` case handler and the catalogue's entries.
        from eloket.services import handler, jobs, moves  # noqa: F401
