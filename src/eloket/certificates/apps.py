from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "eloket.certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        # Catalogue entries and set-up, the order handler, the register listener, the words
        # for its references in the access log.
        from eloket.certificates import access_refs, catalogue, handler, supersession  # noqa: F401
