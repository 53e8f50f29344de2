"""Print how many messages each language still lacks (and which, with -v).

A message lacks a translation when its msgstr is empty or when it is marked fuzzy
(msgmerge's guess from a similar message: compilemessages leaves those out, so the page
shows English)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = re.compile(
    r'^((?:#[^\n]*\n)*)msgid "(.*)"\n(?:msgid_plural "(?:.*)"\n)?msgstr(?:\[0\])? "(.*)"$', re.M
)


def main() -> None:
    verbose = "-v" in sys.argv
    for po in sorted((ROOT / "src" / "eloket" / "locale").glob("*/LC_MESSAGES/django.po")):
        text = po.read_text()
        entries = [m for m in ENTRY.finditer(text) if m.group(2)]
        missing = [m.group(2) for m in entries if not m.group(3) or "#, fuzzy" in m.group(1)]
        print(f"{po.parts[-3]}: {len(entries) - len(missing)}/{len(entries)} translated")
        if verbose:
            for msgid in missing:
                print(f"    {msgid}")


if __name__ == "__main__":
    main()
