"""Texts of case types in the reader's language.

A text is a dict. Texts a municipality writes are kept per language code
({"nl": "ingediend", "fr": "introduit"}); the reader gets their language, else the
platform's default language, else the first one given. Texts of the built-in case types
name a message id instead ({"msgid": "submitted"}): they are translated when read, from
the same catalogues as the rest of the pages, so a corrected translation reaches every
case at once.
"""

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


def with_params(text: str, params: dict[str, Any] | None) -> str:
    """`text % params`, or the text as it is when the parameters do not fit it."""
    if not params:
        return text
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        return text
