"""What a question that takes files accepts (`FileRules`): here, in common, because the
case handlers (cases) say it and the attachments app enforces it, and neither imports
the other's way round."""

from dataclasses import dataclass

MB = 1024 * 1024

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"


# The names of the types, for the person told what is accepted.
TYPE_NAMES = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", "image/gif": "GIF", "image/webp": "WebP"}


@dataclass(frozen=True)
class FileRules:
    """MIME types accepted (checked on the content, never on the name or the type the
    sender claims), the most bytes one file may have, and how many files the question
    (or one message) takes."""

    accept: tuple[str, ...]
    max_bytes: int
    max_files: int

    @property
    def accept_words(self) -> str:
        """ "PDF, PNG, JPEG": the types as people name them."""
        return ", ".join(TYPE_NAMES.get(t, t) for t in self.accept)

    @property
    def max_megabytes(self) -> str:
        value = self.max_bytes / MB
        return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


# What a message of a case may carry unless its handler says otherwise.
MESSAGE_FILE_RULES = FileRules(accept=(PDF, PNG, JPEG), max_bytes=10 * MB, max_files=5)
