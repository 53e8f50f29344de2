"""Polis's open-data format: `comments.csv`, `votes.csv`, `participants-votes.csv`.

Reading (for import) and writing (for export). Votes are 1 agree, -1 disagree, 0 pass; a
later vote of the same voter on the same comment replaces an earlier one.

Our exports are escaped against spreadsheet formulas (common/spreadsheet.py: a text cell
starting with =, +, -, @, a tab or a carriage return gets a leading quote); reading undoes
exactly that, so an export re-imports to the same texts and ids. A file from Polis itself
reads the same unless a text starts with a quote followed by one of those characters
(that quote is then taken for our escaping).
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eloket.common.spreadsheet import csv_writer, spreadsheet_unescape

csv.field_size_limit(10 * 1024 * 1024)


@dataclass
class PolisComment:
    comment_id: str
    author_id: str
    text: str
    moderated: int
    timestamp: int


@dataclass
class PolisConversation:
    comments: list[PolisComment]
    votes: dict[tuple[str, str], tuple[int, int]]  # (voter, comment) -> (vote, timestamp)
    groups: dict[str, str] = field(default_factory=dict)  # voter -> Polis's group id
    topic: str = ""
    description: str = ""


class PolisFormatError(ValueError):
    pass


# An id is stored in a field of 64 characters (Participant and Opinion.external_id); a
# timestamp (milliseconds since 1970) must be a date that every time zone, Python and the
# database can show: before the year 3000.
MAX_ID = 64
MAX_TIMESTAMP = 32_503_680_000_000


def _read(path: Path) -> Iterator[list[str]]:
    """The records of one CSV file; every way it can fail to be one is a PolisFormatError
    naming the file (not UTF-8, broken quoting, a NUL that no database stores)."""
    if not path.exists():
        raise PolisFormatError(f"{path.name} is missing")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for record in csv.reader(handle):
                if any("\x00" in value for value in record):
                    raise PolisFormatError(f"{path.name}: a NUL character")
                yield record
    except UnicodeDecodeError as exc:
        raise PolisFormatError(f"{path.name} is not UTF-8 text") from exc
    except csv.Error as exc:
        raise PolisFormatError(f"{path.name}: {exc}") from exc


def _rows(path: Path) -> Iterator[dict[str, str]]:
    records = _read(path)
    header = next(records, None)
    if header is None:
        raise PolisFormatError(f"{path.name} is empty")
    for record in records:
        if not record:
            continue
        row = dict(zip(header, record, strict=False))
        yield {key: spreadsheet_unescape(value) for key, value in row.items()}


def _column(row: dict[str, str], name: str, file: str) -> str:
    try:
        return row[name]
    except KeyError:
        raise PolisFormatError(f"{file}: no {name} column, or a row too short") from None


def _id(row: dict[str, str], name: str, file: str, *, required: bool = True) -> str:
    value = _column(row, name, file) if required else row.get(name, "")
    if len(value) > MAX_ID:
        raise PolisFormatError(f"{file}: a {name} longer than {MAX_ID} characters")
    return value


def _integer(row: dict[str, str], name: str, file: str, *, required: bool = False) -> int:
    text = _column(row, name, file) if required else row.get(name) or "0"
    try:
        value = int(text)
    except ValueError:
        raise PolisFormatError(f"{file}: {name} is not a whole number: {text[:20]!r}") from None
    if name == "timestamp" and not value <= MAX_TIMESTAMP:
        raise PolisFormatError(f"{file}: a timestamp out of range")
    return value


def read_conversation(directory: Path) -> PolisConversation:
    comments = [
        PolisComment(
            comment_id=_id(row, "comment-id", "comments.csv"),
            author_id=_id(row, "author-id", "comments.csv", required=False),
            text=_column(row, "comment-body", "comments.csv"),
            moderated=_integer(row, "moderated", "comments.csv"),
            timestamp=_integer(row, "timestamp", "comments.csv"),
        )
        for row in _rows(directory / "comments.csv")
    ]
    votes: dict[tuple[str, str], tuple[int, int]] = {}
    for row in _rows(directory / "votes.csv"):
        key = (_id(row, "voter-id", "votes.csv"), _id(row, "comment-id", "votes.csv"))
        value = _integer(row, "vote", "votes.csv", required=True)
        stamp = _integer(row, "timestamp", "votes.csv")
        if value not in (-1, 0, 1):
            raise PolisFormatError(f"votes.csv: a vote of {value}")
        if key not in votes or stamp >= votes[key][1]:
            votes[key] = (value, stamp)
    groups = {}
    summary: dict[str, str] = {}
    if (directory / "participants-votes.csv").exists():
        for row in _rows(directory / "participants-votes.csv"):
            if row.get("group-id") not in (None, ""):
                groups[_id(row, "participant", "participants-votes.csv")] = row["group-id"]
    if (directory / "summary.csv").exists():
        for record in _read(directory / "summary.csv"):
            if len(record) >= 2:
                summary[record[0]] = spreadsheet_unescape(record[1])
    return PolisConversation(
        comments=comments,
        votes=votes,
        groups=groups,
        topic=summary.get("topic", ""),
        description=summary.get("conversation-description", ""),
    )


def write_csv(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
