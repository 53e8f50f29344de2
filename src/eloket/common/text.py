"""Characters refused in anything people type: NUL and the controls of text direction.

A right-to-left override (U+202E) makes `gnp.exe` read as `exe.png`, and an isolate or
an embedding makes a name, an opinion or a reason shown to an officer say something other
than its characters (Trojan Source, CVE-2021-42574); left-to-right and right-to-left marks
are invisible and make two identical-looking names differ. NUL ends a string in C and
PostgreSQL refuses it in text (a 500 instead of an answer). None of the platform's
languages needs them, so the services that accept free text refuse them, with the
character named, before writing anything (forms, API and imports alike).
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError

# NUL; LRM and RLM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI. Written as regex escapes,
# which Python and JSON Schema (ECMA-262) read alike.
_REFUSED = r"\x00\u200e\u200f\u202a-\u202e\u2066-\u2069"
HIDDEN_CHARACTERS = re.compile(f"[{_REFUSED}]")
# For the API's schema: what a free-text field accepts (the service enforces it).
FREE_TEXT_PATTERN = f"^[^{_REFUSED}]*$"


class HiddenCharacter(ApplicationError):
    code = "invalid_characters"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def hidden_character(*values: Any) -> str | None:
    """The first refused character in `values` (texts, or dicts and lists of them),
    named for people (`U+202E RIGHT-TO-LEFT OVERRIDE`), or None."""
    for text in (s for value in values for s in _strings(value)):
        found = HIDDEN_CHARACTERS.search(text)
        if found:
            character = found.group(0)
            name = unicodedata.name(character, "NUL")
            return f"U+{ord(character):04X} {name}"
    return None


def hidden_character_problem(*values: Any) -> str | None:
    """Why `values` are refused, as a sentence for the person who typed them, or None."""
    character = hidden_character(*values)
    if character is None:
        return None
    return _(
        "The text contains an invisible control character (%(character)s). Characters "
        "that change the direction of text, and NUL, are not accepted: remove it and try again."
    ) % {"character": character}


def refuse_hidden_characters(*values: Any) -> None:
    """Raise HiddenCharacter (nothing is written) when any of `values` holds NUL or a
    control of text direction."""
    problem = hidden_character_problem(*values)
    if problem is not None:
        raise HiddenCharacter(problem, details={"character": hidden_character(*values)})
