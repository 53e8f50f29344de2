"""Merge a batch file into scripts/translations.json.

A batch has one message per block: the msgid on its own line, then one line per language
`nl: ...`, `fr: ...`, `de: ...`, `ko: ...`; blocks are separated by blank lines.

    python3 scripts/add_translations.py scripts/translations/identity.txt
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "scripts" / "translations.json"


def parse(text: str) -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}
    for block in text.strip().split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        msgid, rest = lines[0], lines[1:]
        entries[msgid] = {}
        for line in rest:
            language, _sep, translated = line.partition(": ")
            entries[msgid][language.strip()] = translated
    return entries


def main() -> None:
    table = json.loads(TABLE.read_text())
    for path in sys.argv[1:]:
        for msgid, languages in parse(Path(path).read_text()).items():
            table.setdefault(msgid, {}).update(languages)
    TABLE.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    print(f"{len(table)} messages in the table")


if __name__ == "__main__":
    main()
