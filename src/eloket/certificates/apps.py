from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "eloket.certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from eloket.certificates import (
            catalogue,  # noqa: F401  (registers catalogue entries)
            supersession,  # noqa: F401  (listens to register changes)
        )
