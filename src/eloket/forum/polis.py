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


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.exists():
        raise PolisFormatError(f"{path.name} is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {
                key: spreadsheet_unescape(value) if isinstance(value, str) else value
                for key, value in row.items()
            }


def read_conversation(directory: Path) -> PolisConversation:
    comments = []
    for row in _rows(directory / "comments.csv"):
        try:
            comments.append(
                PolisComment(
                    comment_id=row["comment-id"],
                    author_id=row.get("author-id", ""),
                    text=row["comment-body"],
                    moderated=int(row.get("moderated") or 0),
                    timestamp=int(row.get("timestamp") or 0),
                )
            )
        except (KeyError, ValueError) as exc:
            raise PolisFormatError(f"comments.csv: {exc}") from exc
    votes: dict[tuple[str, str], tuple[int, int]] = {}
    for row in _rows(directory / "votes.csv"):
        try:
            key = (row["voter-id"], row["comment-id"])
            value, stamp = int(row["vote"]), int(row.get("timestamp") or 0)
        except (KeyError, ValueError) as exc:
            raise PolisFormatError(f"votes.csv: {exc}") from exc
        if value not in (-1, 0, 1):
            raise PolisFormatError(f"votes.csv: a vote of {value}")
        if key not in votes or stamp >= votes[key][1]:
            votes[key] = (value, stamp)
    groups = {}
    summary: dict[str, str] = {}
    if (directory / "participants-votes.csv").exists():
        for row in _rows(directory / "participants-votes.csv"):
            if row.get("group-id") not in (None, ""):
                groups[row["participant"]] = row["group-id"]
    if (directory / "summary.csv").exists():
        with (directory / "summary.csv").open(newline="", encoding="utf-8") as handle:
            for record in csv.reader(handle):
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
