"""What a file is, read from its content: the type (puremagic's signatures, then the
type's own structure: a PDF starts with `%PDF-` and pypdf can open it; a PNG or JPEG has
its signature at the start), its size, its SHA-256 and a clean name. Nothing here
writes: a file refused is refused before anything is stored."""

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

import puremagic
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.common.files import JPEG, PDF, PNG, FileRules
from eloket.common.text import refuse_hidden_characters
from eloket.common.uploads import megabytes

CHUNK = 64 * 1024
NAME_MAX = 150
UNSAFE_IN_NAMES = str.maketrans(dict.fromkeys('"<>:|?*', "_"))

# Shown in the browser (in a sandbox); anything else is offered as a download.
INLINE_TYPES = frozenset({PDF, PNG, JPEG, "image/gif", "image/webp"})
SIGNATURES = {PDF: b"%PDF-", PNG: b"\x89PNG\r\n\x1a\n", JPEG: b"\xff\xd8\xff"}


class FileTooLarge(ApplicationError):
    code = "file_too_large"
    status = 400


class FileTypeRefused(ApplicationError):
    code = "file_type_refused"
    status = 400


class TooManyFiles(ApplicationError):
    code = "too_many_files"
    status = 400


class FileEmpty(ApplicationError):
    code = "file_empty"
    status = 400


@dataclass(frozen=True)
class CheckedFile:
    upload: Any
    name: str
    content_type: str
    size: int
    sha256: str


def clean_name(raw: str) -> str:
    """The sender's file name without folders, control or invisible characters, or a
    leading dot, at most NAME_MAX characters (the extension kept). Characters that turn
    text around (an RLO makes `gnp.exe` read `exe.png`) are refused, not dropped."""
    refuse_hidden_characters(raw)
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Zl", "Zp"})
    # Characters that end a quoted header value or that no file system accepts, so
    # that the name offered on opening it is one the reader's computer can save.
    name = name.translate(UNSAFE_IN_NAMES).strip().lstrip(".").strip()
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 10 else ""
        name = stem[: NAME_MAX - len(ext)] + ext
    return name or "file"


def _refused(name: str, rules: FileRules) -> FileTypeRefused:
    return FileTypeRefused(
        _("“%(name)s” is not a file of an accepted type (%(types)s). Nothing was saved.")
        % {"name": name, "types": rules.accept_words},
        details={"name": name, "accept": list(rules.accept)},
    )


def _pdf_opens(upload: Any) -> bool:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return False
        return len(reader.pages) > 0
    except (PyPdfError, ValueError, TypeError, KeyError, OSError, RecursionError):
        return False
    finally:
        upload.seek(0)


def sniff(upload: Any, rules: FileRules) -> str | None:
    """The accepted type the content is, or None. The name and the type the sender
    claims play no part."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    try:
        candidates = puremagic.magic_stream(upload)
    except (puremagic.PureError, ValueError, OSError):
        return None
    finally:
        upload.seek(0)
    if not candidates:
        return None
    best = candidates[0].confidence
    top = [c.mime_type for c in candidates if c.confidence == best]
    found = next((t for t in top if t in rules.accept), None)
    if found is None:
        return None
    signature = SIGNATURES.get(found)
    if signature is not None and not head.startswith(signature):
        return None
    if found == PDF and not _pdf_opens(upload):
        return None
    return found


def digest(upload: Any) -> str:
    """SHA-256 of the file, read in chunks (never the whole file in memory)."""
    hasher = hashlib.sha256()
    upload.seek(0)
    for chunk in (
        upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK), b"")
    ):
        hasher.update(chunk)
    upload.seek(0)
    return hasher.hexdigest()


def check_file(upload: Any, rules: FileRules) -> CheckedFile:
    """The file as it will be stored, or FileTooLarge / FileEmpty / FileTypeRefused."""
    name = clean_name(str(getattr(upload, "name", "") or ""))
    size = int(upload.size)
    if size > rules.max_bytes:
        raise FileTooLarge(
            _("“%(name)s” is larger than %(mb)s MB, the most accepted here. Nothing was saved.")
            % {"name": name, "mb": megabytes(rules.max_bytes)},
            details={"name": name, "limit_bytes": rules.max_bytes},
        )
    if size == 0:
        raise FileEmpty(
            _("“%(name)s” is empty. Nothing was saved.") % {"name": name},
            details={"name": name},
        )
    content_type = sniff(upload, rules)
    if content_type is None:
        raise _refused(name, rules)
    return CheckedFile(
        upload=upload, name=name, content_type=content_type, size=size, sha256=digest(upload)
    )


def too_many(rules: FileRules, already: int) -> TooManyFiles:
    return TooManyFiles(
        _("Too many files: at most %(n)d here (%(already)d already sent). Nothing was saved.")
        % {"n": rules.max_files, "already": already},
        details={"max_files": rules.max_files, "already": already},
    )
