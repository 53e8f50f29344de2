"""The private storage of attachments: Django's STORAGES alias "attachments" (local files
under var/attachments, or an S3-compatible bucket: settings and docs/attachments.md).

The model's FileField gets a lazy object so that the alias is read when a file is first
stored or opened, and again after a settings change (the tests store in a temporary
directory)."""

from typing import Any

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

ALIAS = "attachments"


class _AttachmentStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages[ALIAS]


attachment_storage: Storage = _AttachmentStorage()  # type: ignore[assignment]


def get_attachment_storage() -> Storage:
    """For the FileField (a callable keeps the storage out of the migrations)."""
    return attachment_storage


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        attachment_storage._wrapped = empty  # type: ignore[attr-defined]
