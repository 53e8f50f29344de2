"""Random strings from the operating system's CSPRNG, drawn in one call.

Django's `get_random_string` asks `secrets.choice` once per character: 45 µs for the
32 characters of a CSRF secret, and a visitor's first page needs two (the secret and the
mask of the token in the form), a tenth of a page kept for visitors (issue 11, point 11).
`random_string` reads the bytes at once and keeps those below the largest multiple of the
alphabet's size (rejection sampling), so every character stays uniformly drawn: the same
strength, 4 µs. Django's CSRF middleware is pointed at it at start-up (common/apps.py).
"""

import secrets

from django.utils.crypto import RANDOM_STRING_CHARS


def random_string(length: int, allowed_chars: str = RANDOM_STRING_CHARS) -> str:
    size = len(allowed_chars)
    if not 0 < size <= 256:
        raise ValueError("an alphabet of 1 to 256 characters")
    limit = 256 - 256 % size  # bytes at or above it would favour the first characters
    drawn: list[str] = []
    while len(drawn) < length:
        drawn += [allowed_chars[b % size] for b in secrets.token_bytes(length + 16) if b < limit]
    return "".join(drawn[:length])
