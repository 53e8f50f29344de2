"""Document codes, the verification address and the digest of what a document attests."""

import hashlib
import json
import secrets
from typing import Any

from django.conf import settings

from eloket.documents.models import CODE_ALPHABET

CODE_LENGTH = 12


def new_document_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in str(raw).upper() if ch.isalnum())


def display_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url(code: str) -> str:
    return f"{settings.ELOKET_BASE_URL}/verify/{code}"


def attested_digest(attested: Any) -> str:
    """A digest of the register data a document attests (compared again when it changes)."""
    canonical = json.dumps(attested, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
