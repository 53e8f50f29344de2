"""Random strings from the operating system's CSPRNG, drawn in one call.

Django's `get_random_string` asks `secrets.choice` once per character: 45 µs for the
32 characters of a CSRF secret, and a visitor's first page needs two (the secret and the
mask of the token in the form), a tenth of a page kept for visitors (issue 11, point 11).
`random_string` reads the bytes at once and keeps those below the largest multiple of the
alphabet's size (rejection sampling), so every character stays uniformly drawn: the same
strength, 4 µs. Django's CSRF middleware is pointed at it at start-up (common/apps.py).

`mask_cipher_secret` is Django's masking of the CSRF secret for a form's token (each
character of the secret shifted by the mask's, in the CSRF alphabet), with the alphabet's
positions looked up in a table instead of `str.index` in a generator: the same token
for the same mask, 5 µs instead of 40, on every page that carries a form.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
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


_CSRF_POSITION = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def mask_cipher_secret(secret: str, mask: str | None = None) -> str:
    """A token for `secret`: a fresh mask, then the secret shifted by it (Django's scheme)."""
    chars, position, size = CSRF_ALLOWED_CHARS, _CSRF_POSITION, len(CSRF_ALLOWED_CHARS)
    if mask is None:
        mask = random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
    cipher = "".join(
        [chars[(position[s] + position[m]) % size] for s, m in zip(secret, mask, strict=True)]
    )
    return mask + cipher
