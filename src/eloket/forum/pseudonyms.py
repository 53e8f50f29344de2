"""Pseudonyms: stable within one topic, unlinkable across topics.

HMAC-SHA256 over the topic and the person, keyed with a secret derived from SECRET_KEY:
the same person gets the same pseudonym in a topic every time, another one in every other
topic, and without the key nobody can tell that two pseudonyms are the same person.
"""

import base64
import hashlib
import hmac

from django.conf import settings


def _key() -> bytes:
    return hashlib.sha256(f"eloket-forum-pseudonyms:{settings.SECRET_KEY}".encode()).digest()


def pseudonym(topic_id: int, person_key: str) -> str:
    digest = hmac.new(_key(), f"{topic_id}:{person_key}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode()[:7]
