from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "eloket.documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from eloket.documents import attachments, seal  # noqa: F401  (registers plugins)
