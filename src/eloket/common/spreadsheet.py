"""CSV that a spreadsheet opens without running anything (formula injection, OWASP).

A cell typed by someone else (an opinion, a pseudonym, a Polis id) that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return is a formula to Excel and LibreOffice: `=HYPERLINK
(...)` or `=cmd|'/c calc'!A1` runs when an officer opens the export. Every CSV the platform
writes goes through `csv_writer`, which puts a single quote before such a text cell; the
spreadsheet shows the text and runs nothing.

Only text is escaped: numbers the platform wrote itself (a vote of -1, a count) stay
numbers, so Polis's tools still read `votes.csv`. The escaping is exactly reversible
(`spreadsheet_unescape`), which is how the Polis importer reads our own exports back: a
text that already starts with a quote followed by what would be escaped gets one more
quote, so undoing strips exactly what was added.
"""

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text: str) -> bool:
    # A quote before a text that would itself be escaped: escape it too, or undoing the
    # escaping could not tell "'=1" typed by someone from "=1" escaped by us.
    while text.startswith("'"):
        text = text[1:]
    return text.startswith(FORMULA_STARTS)


def spreadsheet_escape(value: Any) -> Any:
    """The cell as written to a CSV: text that a spreadsheet would run gets a leading `'`."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def spreadsheet_unescape(text: str) -> str:
    """The text `spreadsheet_escape` was given (for reading our own exports back)."""
    if text.startswith("'") and _needs_quote(text[1:]):
        return text[1:]
    return text


class SafeCsvWriter:
    """`csv.writer` whose every row is escaped for spreadsheets."""

    def __init__(self, out: IO[str], **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([spreadsheet_escape(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str], **options: Any) -> SafeCsvWriter:
    """The only way the platform writes CSV (tests/test_security.py checks there is no other)."""
    return SafeCsvWriter(out, **options)
