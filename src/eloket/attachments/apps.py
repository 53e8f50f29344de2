from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "eloket.attachments"
    verbose_name = "Attachments"

    def ready(self) -> None:
        # The storage reset on a settings change (tests), the message attacher of the case
        # engine, the words for "case:" references in the access log, the cleanup job.
        from eloket.attachments import access_refs, attacher, jobs, storage  # noqa: F401
