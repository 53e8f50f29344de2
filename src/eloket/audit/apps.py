from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "eloket.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from eloket.audit import services  # noqa: F401  (registers its chains for `audit verify`)
