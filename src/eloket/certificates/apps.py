from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "eloket.certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        # Catalogue entries and set-up, the order handler, the register listener.
        from eloket.certificates import catalogue, handler, supersession  # noqa: F401
