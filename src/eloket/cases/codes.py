"""Tracking codes: short, unambiguous, drawn at random."""

import secrets

from eloket.cases.models import TRACKING_ALPHABET

TRACKING_LENGTH = 8


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalise_tracking_code(raw: str) -> str:
    return "".join(ch for ch in str(raw).upper() if ch.isalnum())[:20]
