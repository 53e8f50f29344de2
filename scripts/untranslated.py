"""Print how many messages each language still lacks (and which, with -v)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = re.compile(r'^msgid "(.*)"\nmsgstr "(.*)"$', re.M)


def main() -> None:
    verbose = "-v" in sys.argv
    for po in sorted((ROOT / "src" / "eloket" / "locale").glob("*/LC_MESSAGES/django.po")):
        text = po.read_text()
        missing = [m.group(1) for m in ENTRY.finditer(text) if m.group(1) and not m.group(2)]
        total = len([m for m in ENTRY.finditer(text) if m.group(1)])
        print(f"{po.parts[-3]}: {total - len(missing)}/{total} translated")
        if verbose:
            for msgid in missing:
                print(f"    {msgid}")


if __name__ == "__main__":
    main()
