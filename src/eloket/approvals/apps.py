from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "eloket.approvals"
    verbose_name = _("Approval chains")

    def ready(self) -> None:
        # The periodic reminder and escalation of steps past their time.
        from eloket.approvals import jobs  # noqa: F401
