"""Texts of case types in the reader's language.

A text is a dict. Texts a municipality writes are kept per language code
({"nl": "ingediend", "fr": "introduit"}); the reader gets their language, else the
platform's default language, else the first one given. Texts of the built-in case types
name a message id instead ({"msgid": "submitted"}): they are translated when read, from
the same catalogues as the rest of the pages, so a corrected translation reaches every
case at once.
"""

import re
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

MSGID = "msgid"


def localized(texts: Any, language: str | None = None) -> str:
    if not isinstance(texts, dict) or not texts:
        return ""
    if MSGID in texts:
        if language:
            with translation.override(language):
                return _(str(texts[MSGID]))
        return _(str(texts[MSGID]))
    wanted = language or get_language() or settings.LANGUAGE_CODE
    for code in (wanted, wanted.split("-")[0], settings.LANGUAGE_CODE):
        if texts.get(code):
            return str(texts[code])
    return str(next(iter(texts.values())))


# The only placeholders a text may hold: `%(name)s` (or `%(name)d`) and `%%`. No width, no
# precision: `%(what)20000000s` in a municipality's text must not become 20 MB per line.
PLACEHOLDER = re.compile(r"%(?:\((\w{1,40})\)[sd]|%)")
TEXT_PATTERN = r"^(?:[^%]|%%|%\([a-z_]{1,40}\)[sd])*$"


def with_params(text: str, params: dict[str, Any] | None) -> str:
    """The text with its `%(name)s` placeholders filled from `params` (a placeholder with
    no value stays as it is). Never Python's `%` formatting on stored text."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if params and name in params:
            return str(params[name])[:500]
        return match.group(0)

    return PLACEHOLDER.sub(fill, text)
