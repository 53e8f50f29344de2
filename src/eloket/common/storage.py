"""Files on an S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Scaleway, OVH, …),
private: docs/adr/0014-s3-compatible-storage.md and docs/scaling.md.

Settings name this class for the "attachments" and "default" (media) storages when
ELOKET_S3_BUCKET is set (conf/settings.py); it needs the `s3` extra (django-storages and
boto3). Every object is written with the private ACL, and no address of the bucket is ever
handed out: `url()` leads nowhere, the views stream a file after their own permission checks
(attachments/views.py). A storage that does not answer fails within seconds, not minutes, so
that /readyz and a page say so quickly."""

from typing import Any

from botocore.config import Config
from storages.backends.s3 import S3Storage

# How long a node waits for the storage: to connect, for an answer, and how often it tries.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
ATTEMPTS = 3
# A file read from the bucket is held in memory up to this size, on disk beyond (an
# attachment may be 60 MB: several served at once must not fill a node's memory).
MEMORY_BYTES = 4 * 1024 * 1024
NOT_PUBLIC = "/files-are-not-public/"


class PrivateS3Storage(S3Storage):
    client_config: Any

    def __init__(self, **options: Any) -> None:
        options.setdefault("default_acl", "private")
        options.setdefault("querystring_auth", True)
        options.setdefault("file_overwrite", False)
        options.setdefault("max_memory_size", MEMORY_BYTES)
        super().__init__(**options)
        self.client_config = self.client_config.merge(
            Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"max_attempts": ATTEMPTS, "mode": "standard"},
            )
        )

    def url(
        self,
        name: str,
        parameters: Any = None,
        expire: Any = None,
        http_method: Any = None,
    ) -> str:
        """Never the bucket's address (public or signed): files are served by the views."""
        return NOT_PUBLIC + name

    def describe(self) -> str:
        """Where the files are, for /readyz and the backup's words (no credentials)."""
        where = f"s3://{self.bucket_name}/{self.location}".rstrip("/")
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where
