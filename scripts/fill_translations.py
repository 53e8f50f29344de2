"""Fill msgstr entries of the .po files from scripts/translations.json (msgid -> {lang: text}).

Run after `make messages` adds new strings; then `eloket compilemessages`. Entries already
translated in a .po file are kept unless the table has them.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = json.loads((ROOT / "scripts" / "translations.json").read_text())
ENTRY = re.compile(
    r'(?P<head>(?:#[^\n]*\n)*msgid "(?P<id>(?:[^"\\]|\\.)*)"\n)msgstr "(?P<str>(?:[^"\\]|\\.)*)"',
    re.M,
)


def fill(language: str) -> int:
    path = ROOT / "src" / "eloket" / "locale" / language / "LC_MESSAGES" / "django.po"
    text = path.read_text()
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        msgid = (
            match.group("id").encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        )
        translated = TABLE.get(msgid, {}).get(language)
        if not translated or not msgid:
            return match.group(0)
        count += 1
        escaped = translated.replace("\\", "\\\\").replace('"', '\\"')
        # A translation from the table replaces msgmerge's guess: no longer fuzzy.
        head = re.sub(r"^#, fuzzy\n", "", match.group("head"), flags=re.M)
        head = re.sub(r"^#, fuzzy, ", "#, ", head, flags=re.M)
        return f'{head}msgstr "{escaped}"'

    text = ENTRY.sub(replace, text)
    text = text.replace(
        '"Content-Type: text/plain; charset=CHARSET\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
    )
    path.write_text(text)
    return count


if __name__ == "__main__":
    for lang in sys.argv[1:] or ["nl", "fr", "de", "ko"]:
        print(lang, fill(lang), "translated")
