"""Import and export in Polis's open-data format, so that consultations held elsewhere
can be analysed and archived here, and ours can be read by Polis's tools.

An imported consultation becomes a new, closed topic. Its participants keep their Polis
ids (`external_id`, listed as group members by the analysis), are not verified, and are
never counted as residents.
"""

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.uploads import megabytes, too_large
from eloket.forum.analysis_jobs import topic_changed
from eloket.forum.models import (
    IdentityDisplay,
    Opinion,
    OpinionState,
    Participant,
    Phase,
    Topic,
    Vote,
)
from eloket.forum.polis import PolisConversation, PolisFormatError, read_conversation, write_csv
from eloket.forum.selectors import analysis_latest
from eloket.forum.services.topics import topic_create
from eloket.tenants.models import Municipality

Progress = Callable[[str], None]
BATCH = 5000
MODERATED_OUT = gettext_noop("Moderated out in the original consultation.")
POLIS_FILES = ("comments.csv", "votes.csv", "participants-votes.csv", "summary.csv")
POLIS_UPLOAD_HINT = gettext_lazy(
    "A larger export is imported on the server with eloket forum import-polis."
)
CHUNK = 64 * 1024


def _moment(milliseconds: int) -> dt.datetime:
    if milliseconds <= 0:
        return timezone.now()
    return dt.datetime.fromtimestamp(milliseconds / 1000, tz=dt.UTC)


def import_polis(
    *,
    actor: Actor,
    municipality: Municipality,
    directory: Path,
    title: str = "",
    progress: Progress | None = None,
) -> Topic:
    say = progress or (lambda _line: None)
    try:
        conversation = read_conversation(directory)
    except PolisFormatError as exc:
        raise ApplicationError(
            _("This is not a Polis export: %(problem)s.") % {"problem": str(exc)},
            code="invalid_polis_export",
        ) from exc
    return import_conversation(
        actor=actor,
        municipality=municipality,
        conversation=conversation,
        title=title or conversation.topic or directory.name,
        source=f"Polis: {directory.name}",
        say=say,
    )


def import_conversation(
    *,
    actor: Actor,
    municipality: Municipality,
    conversation: PolisConversation,
    title: str,
    source: str,
    say: Progress,
) -> Topic:
    if not conversation.comments:
        raise ApplicationError(_("The export holds no comments."), code="invalid_polis_export")
    if not conversation.votes and not any(c.author_id for c in conversation.comments):
        raise ApplicationError(
            _("The export names no participants: no votes and no authors."),
            code="invalid_polis_export",
        )
    language = municipality.default_language
    with transaction.atomic():
        topic = topic_create(
            actor=actor,
            municipality=municipality,
            title={language: title[:300]},
            summary={language: conversation.description[:1000]},
            background={language: conversation.description},
            phase=Phase.CLOSED,
            identity_display=IdentityDisplay.PSEUDONYM,
            source=source[:300],
        )
        voters = {voter for voter, _comment in conversation.votes}
        voters |= {c.author_id for c in conversation.comments if c.author_id}
        participants = [
            Participant(
                municipality=municipality,
                topic=topic,
                display_name="",
                pseudonym=f"P{voter}"[:40],
                verified=False,
                external_id=str(voter),
            )
            for voter in sorted(voters, key=lambda v: (len(v), v))
        ]
        Participant.objects.bulk_create(participants, batch_size=BATCH)
        by_external = dict(Participant.objects.filter(topic=topic).values_list("external_id", "pk"))
        say(f"{len(by_external)} participants")
        author_fallback = next(iter(by_external.values()))
        opinions = [
            Opinion(
                municipality=municipality,
                topic=topic,
                participant_id=by_external.get(c.author_id, author_fallback),
                text=c.text,
                created_at=_moment(c.timestamp),
                state=OpinionState.HIDDEN if c.moderated == -1 else OpinionState.PUBLISHED,
                moderation_reason=MODERATED_OUT if c.moderated == -1 else "",
                external_id=c.comment_id,
            )
            for c in conversation.comments
        ]
        Opinion.objects.bulk_create(opinions, batch_size=BATCH)
        by_comment = dict(Opinion.objects.filter(topic=topic).values_list("external_id", "pk"))
        say(f"{len(by_comment)} opinions")
        tallies: dict[int, list[int]] = {}
        batch: list[Vote] = []
        written = 0
        for (voter, comment), (value, stamp) in conversation.votes.items():
            opinion = by_comment.get(comment)
            if opinion is None:
                continue
            moment = _moment(stamp)
            batch.append(
                Vote(
                    municipality=municipality,
                    topic=topic,
                    opinion_id=opinion,
                    participant_id=by_external[voter],
                    value=value,
                    created_at=moment,
                    updated_at=moment,
                )
            )
            tally = tallies.setdefault(opinion, [0, 0, 0])
            tally[0 if value == 1 else 1 if value == -1 else 2] += 1
            if len(batch) >= BATCH:
                Vote.objects.bulk_create(batch)
                written += len(batch)
                batch = []
                say(f"{written} votes")
        Vote.objects.bulk_create(batch)
        written += len(batch)
        say(f"{written} votes")
        for opinion_id, (agree, disagree, passed) in tallies.items():
            Opinion.objects.filter(pk=opinion_id).update(
                agree=agree, disagree=disagree, passed=passed
            )
        topic_changed(
            topic.pk,
            opinion_count=sum(1 for o in opinions if o.state == OpinionState.PUBLISHED),
            vote_count=written,
            participant_count=len(by_external),
        )
    topic.refresh_from_db()
    return topic


def import_polis_upload(
    *, actor: Actor, municipality: Municipality, files: dict[str, bytes], title: str = ""
) -> Topic:
    """The same from uploaded files (the API): comments.csv and votes.csv, optionally
    participants-votes.csv and summary.csv, or one zip holding them. At most
    ELOKET_POLIS_UPLOAD_MAX_BYTES sent, and ELOKET_POLIS_UNPACKED_MAX_BYTES unpacked; other
    files (and a zip's other members) are not read."""
    import tempfile

    sent_limit = settings.ELOKET_POLIS_UPLOAD_MAX_BYTES
    if sum(len(data) for data in files.values()) > sent_limit:
        raise too_large(sent_limit, POLIS_UPLOAD_HINT)
    budget = settings.ELOKET_POLIS_UNPACKED_MAX_BYTES
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        for name, data in files.items():
            base = _base_name(name)
            if base.lower().endswith(".zip"):
                budget -= _unpack(data, target, budget)
            elif base in POLIS_FILES:
                (target / base).write_bytes(data)
        return import_polis(actor=actor, municipality=municipality, directory=target, title=title)


def _base_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _unpack(data: bytes, target: Path, budget: int) -> int:
    """Polis's files from a zip into `target`, counting what they unpack to (refused past
    `budget`, however small the zip: a zip bomb). Returns the bytes written."""
    written = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {
                _base_name(info.filename): info
                for info in archive.infolist()
                if not info.is_dir() and _base_name(info.filename) in POLIS_FILES
            }
            if sum(info.file_size for info in members.values()) > budget:
                raise _unpacked_too_large(budget)
            for base, info in members.items():
                with archive.open(info) as source, (target / base).open("wb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        if written > budget:  # more than its header said
                            raise _unpacked_too_large(budget)
                        out.write(chunk)
    except ApplicationError:
        raise
    except Exception as exc:  # every way a zip can be broken (CRC, method, password): one answer
        raise ApplicationError(
            _("The zip file cannot be read."), code="invalid_polis_export"
        ) from exc
    return written


def _unpacked_too_large(budget: int) -> ApplicationError:
    return ApplicationError(
        _("The zip file unpacks to more than %(mb)s MB, the most accepted here.")
        % {"mb": megabytes(budget)}
        + f" {POLIS_UPLOAD_HINT}",
        code="polis_export_too_large",
        details={"limit_bytes": budget},
    )


def export_polis(topic: Topic) -> dict[str, str]:
    """The topic as Polis's three files (group ids from the latest analysis)."""
    opinions = list(
        Opinion.objects.filter(topic=topic, parent__isnull=True)
        .select_related("participant")
        .order_by("pk")
    )
    comment_id = {o.pk: (o.external_id or str(index)) for index, o in enumerate(opinions)}

    def voter_of(participant: Participant) -> str:
        return participant.external_id or str(participant.pk)

    comments = write_csv(
        [
            "timestamp",
            "datetime",
            "comment-id",
            "author-id",
            "agrees",
            "disagrees",
            "moderated",
            "comment-body",
        ],
        [
            [
                int(o.created_at.timestamp() * 1000),
                o.created_at.isoformat(),
                comment_id[o.pk],
                voter_of(o.participant),
                o.agree,
                o.disagree,
                1 if o.state == OpinionState.PUBLISHED else -1,
                o.text,
            ]
            for o in opinions
        ],
    )
    votes = list(
        Vote.objects.filter(topic=topic, opinion_id__in=list(comment_id))
        .select_related("participant")
        .order_by("created_at", "pk")
    )
    votes_csv = write_csv(
        ["timestamp", "datetime", "comment-id", "voter-id", "vote"],
        [
            [
                int(v.created_at.timestamp() * 1000),
                v.created_at.isoformat(),
                comment_id[v.opinion_id],
                voter_of(v.participant),
                v.value,
            ]
            for v in votes
        ],
    )
    groups: dict[str, int] = {}
    latest = analysis_latest(municipality=topic.municipality, topic=topic)
    if latest is not None:
        for group in latest.result.get("groups", []):
            for member in group.get("members", []):
                groups[str(member)] = group["id"]
    by_voter: dict[str, dict[str, int]] = {}
    for v in votes:
        by_voter.setdefault(voter_of(v.participant), {})[comment_id[v.opinion_id]] = v.value
    authored: dict[str, int] = {}
    for o in opinions:
        authored[voter_of(o.participant)] = authored.get(voter_of(o.participant), 0) + 1
    columns = [comment_id[o.pk] for o in opinions]
    participants_csv = write_csv(
        ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree", *columns],
        [
            [
                voter,
                groups.get(voter, ""),
                authored.get(voter, 0),
                len(cast),
                sum(1 for x in cast.values() if x == 1),
                sum(1 for x in cast.values() if x == -1),
                *[cast.get(column, "") for column in columns],
            ]
            for voter, cast in sorted(by_voter.items(), key=lambda item: (len(item[0]), item[0]))
        ],
    )
    return {
        "comments.csv": comments,
        "votes.csv": votes_csv,
        "participants-votes.csv": participants_csv,
    }


def export_zip(topic: Topic) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in export_polis(topic).items():
            archive.writestr(name, text)
    return out.getvalue()


def bulk_load(
    *,
    topic: Topic,
    participants: list[tuple[int | None, str]],
    opinions: list[tuple[int, str, dt.datetime]],
    votes: list[tuple[int, int, int, dt.datetime]],
) -> None:
    """Load residents' participation in one go (the demo): participants as (register
    person id, name), opinions as (participant index, text, when), votes as (participant
    index, opinion index, value, when). Counters are set from what was loaded."""
    from eloket.forum.pseudonyms import pseudonym

    with transaction.atomic():
        rows = [
            Participant(
                municipality_id=topic.municipality_id,
                topic=topic,
                person_id_ref=person_id,
                display_name=name,
                pseudonym=pseudonym(topic.pk, f"person:{person_id}"),
                verified=person_id is not None,
            )
            for person_id, name in participants
        ]
        Participant.objects.bulk_create(rows, batch_size=BATCH)
        ids = list(
            Participant.objects.filter(topic=topic).order_by("pk").values_list("pk", flat=True)
        )
        made = [
            Opinion(
                municipality_id=topic.municipality_id,
                topic=topic,
                participant_id=ids[who],
                text=text,
                created_at=when,
            )
            for who, text, when in opinions
        ]
        Opinion.objects.bulk_create(made, batch_size=BATCH)
        opinion_ids = list(
            Opinion.objects.filter(topic=topic).order_by("pk").values_list("pk", flat=True)
        )
        tallies: dict[int, list[int]] = {}
        seen: set[tuple[int, int]] = set()
        batch = []
        for who, which, value, when in votes:
            if (who, which) in seen:
                continue
            seen.add((who, which))
            batch.append(
                Vote(
                    municipality_id=topic.municipality_id,
                    topic=topic,
                    opinion_id=opinion_ids[which],
                    participant_id=ids[who],
                    value=value,
                    created_at=when,
                    updated_at=when,
                )
            )
            tally = tallies.setdefault(opinion_ids[which], [0, 0, 0])
            tally[0 if value == 1 else 1 if value == -1 else 2] += 1
        Vote.objects.bulk_create(batch, batch_size=BATCH)
        for opinion_id, (agree, disagree, passed) in tallies.items():
            Opinion.objects.filter(pk=opinion_id).update(
                agree=agree, disagree=disagree, passed=passed
            )
        topic_changed(
            topic.pk, opinion_count=len(made), vote_count=len(batch), participant_count=len(ids)
        )
