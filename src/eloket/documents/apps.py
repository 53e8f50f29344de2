from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "eloket.documents"
    verbose_name = "Documents"
