"""Every message of the pages, e-mails and errors is translated in every language a
municipality can choose, with the same placeholders, and the compiled catalogues match
the .po files (`make messages` does all three).

A msgmerge guess (`#, fuzzy`) counts as untranslated: compilemessages leaves it out, so
residents would read English. A placeholder missing or misspelt in a translation raises
at the moment the message is shown."""

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[1] / "src" / "eloket" / "locale"
LANGUAGES = ["nl", "fr", "de", "ko"]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]|%%")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    po = catalogue(language)
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert not missing, f"{language}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for entry in catalogue(language):
        if entry.obsolete or not entry.msgstr:
            continue
        if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            wrong.append((entry.msgid, entry.msgstr))
    assert not wrong, f"{language}: {wrong[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_is_current(language):
    po = catalogue(language)
    compiled = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    expected = {e.msgid: e.msgstr for e in po if e.translated() and not e.obsolete}
    actual = {e.msgid: e.msgstr for e in compiled if e.msgid}
    stale = [m for m, text in expected.items() if actual.get(m) != text]
    assert not stale, f"{language}: run `make messages` ({len(stale)} stale, e.g. {stale[:3]})"
