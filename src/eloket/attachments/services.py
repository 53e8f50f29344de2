"""Storing, claiming and cleaning up attachments.

`attachments_store` checks every file (type by content, size, count) and the actor's
right before it writes anything; then stores the files and their rows in one transaction,
and removes from storage what it stored when anything fails on the way. A file is never
stored without its row, and a row never points at a file that is not stored: what a
rollback after our return leaves behind (a caller's transaction that fails later) is an
orphan file, which `attachments_cleanup` removes.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.attachments.checks import CheckedFile, check_file, too_many
from eloket.attachments.models import Attachment
from eloket.attachments.rights import check_may_attach, check_may_attach_to_draft
from eloket.attachments.storage import attachment_storage
from eloket.audit.services import audit_record
from eloket.cases.models import Case, CaseMessage
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.files import FileRules
from eloket.common.permissions import Permission, PermissionDenied, authorize

log = logging.getLogger(__name__)

# A file on storage without its row is an orphan once it is this old (a transaction that
# stored it and then rolled back; a crash between the two).
ORPHAN_AGE = dt.timedelta(hours=6)


class DraftClosed(ApplicationError):
    code = "draft_closed"
    status = 409


def _store_one(
    checked: CheckedFile,
    *,
    actor: Actor,
    municipality: Any,
    case: Case | None,
    draft_token: str,
    question: str,
    message: CaseMessage | None,
    stored: list[str],
) -> Attachment:
    public_id = uuid.uuid4()
    # Our own name on storage: nothing of the sender's (their name may say anything).
    path = attachment_storage.save(f"{municipality.pk}/{public_id.hex}", checked.upload)
    stored.append(path)
    attachment = Attachment(
        municipality=municipality,
        public_id=public_id,
        case=case,
        draft_token="" if case is not None else draft_token,
        question=question,
        message=message,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by_id=actor.user_id,
    )
    attachment.file.name = path
    attachment.save()
    return attachment


def _delete_files(paths: Sequence[str]) -> None:
    for path in paths:
        try:
            attachment_storage.delete(path)
        except Exception:  # a file we could not remove is an orphan for the cleanup
            log.exception("could not remove attachment file %s", path)


def attachments_store(
    *,
    actor: Actor,
    municipality: Any,
    uploads: Sequence[Any],
    rules: FileRules,
    case: Case | None = None,
    draft_token: str = "",
    question: str = "",
    message: CaseMessage | None = None,
) -> list[Attachment]:
    """Store `uploads` for `question` of `case` (or of the citizen's draft
    `draft_token`), or as the attachments of `message`: all of them, or none (an error
    naming the file and the reason: file_too_large, file_type_refused, too_many_files,
    file_empty)."""
    draft_token = draft_token.strip()
    if message is not None:
        if case is None or message.case_id != case.pk:
            raise ApplicationError("A message's attachments go with the message's case.")
        question = ""
    if (case is None) == (not draft_token):
        raise ApplicationError("Attachments go to a case or to a draft (one of them).")
    question = question.strip()[:100]
    if case is not None:
        check_may_attach(actor, municipality, case)
        if not case.is_open:
            raise ApplicationError(
                _("This request is closed; you can no longer send files for it."),
                code="wrong_state",
            )
    else:
        check_may_attach_to_draft(actor, municipality, draft_token)
    uploads = [u for u in uploads if u is not None]
    if not uploads:
        return []
    if len(uploads) > rules.max_files:
        raise too_many(rules, 0)
    checked = [check_file(upload, rules) for upload in uploads]
    stored: list[str] = []
    try:
        with transaction.atomic():
            if case is not None:
                # One sender at a time per case: the count below stays true.
                Case.objects.select_for_update().filter(pk=case.pk).exists()
                if message is not None:
                    already = Attachment.objects.filter(message=message).count()
                else:
                    already = Attachment.objects.filter(
                        case=case, question=question, message__isnull=True
                    ).count()
            else:
                already = Attachment.objects.filter(
                    municipality=municipality, draft_token=draft_token, question=question
                ).count()
            if already + len(checked) > rules.max_files:
                raise too_many(rules, already)
            attachments = [
                _store_one(
                    item,
                    actor=actor,
                    municipality=municipality,
                    case=case,
                    draft_token=draft_token,
                    question=question,
                    message=message,
                    stored=stored,
                )
                for item in checked
            ]
            audit_record(
                actor=actor,
                municipality=municipality,
                action="attachment.store",
                object_type="case" if case is not None else "draft",
                object_ref=case.tracking_code if case is not None else "draft",
                data={
                    "question": question,
                    "message": message.pk if message is not None else None,
                    "files": [
                        {
                            "id": str(a.public_id),
                            "content_type": a.content_type,
                            "size": a.size,
                            "sha256": a.sha256,
                        }
                        for a in attachments
                    ],
                },
            )
    except BaseException:
        _delete_files(stored)
        raise
    return attachments


def attachment_store(
    *,
    actor: Actor,
    municipality: Any,
    upload: Any,
    rules: FileRules,
    case: Case | None = None,
    draft_token: str = "",
    question: str = "",
    message: CaseMessage | None = None,
) -> Attachment:
    """One file: `attachments_store` with one upload."""
    if upload is None:
        raise ApplicationError(_("Choose a file first."), code="file_required")
    return attachments_store(
        actor=actor,
        municipality=municipality,
        uploads=[upload],
        rules=rules,
        case=case,
        draft_token=draft_token,
        question=question,
        message=message,
    )[0]


def attachments_claim_draft(
    *,
    draft_token: str,
    case: Case,
    actor: Actor | None = None,
    municipality: Any = None,
    user_id: int | None = None,
) -> int:
    """Move the files of a citizen's draft onto `case`, which the draft became: call it
    in the transaction that creates the case. The files must be the requester's own
    (sent by `actor`, or by `user_id` when the submitting service passes the requester
    alone). Returns how many files moved."""
    draft_token = draft_token.strip()
    municipality = municipality if municipality is not None else case.municipality
    if actor is None:
        requester = case.requester
        actor = Actor(
            kind=ActorKind.CITIZEN,
            label=requester.get_full_name() or requester.get_username(),
            user_id=user_id,
        )
    if not draft_token:
        return 0
    check_may_attach(actor, municipality, case)
    if actor.user_id != case.requester_id:
        raise PermissionDenied(_("You make requests in your own name."))
    with transaction.atomic():
        rows = Attachment.objects.select_for_update().filter(
            municipality=municipality, draft_token=draft_token, case__isnull=True
        )
        if rows.exclude(uploaded_by_id=actor.user_id).exists():
            raise NotFound(_("This draft is unknown."))
        moved = rows.update(case=case, draft_token="")
        if moved:
            audit_record(
                actor=actor,
                municipality=municipality,
                action="attachment.claim",
                object_type="case",
                object_ref=case.tracking_code,
                data={"files": moved},
            )
    return moved


def _remove(attachments: Any) -> int:
    """Delete the rows, then (after the commit) their files."""
    paths = [a.file.name for a in attachments if a.file.name]
    with transaction.atomic():
        count, _by_model = Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        transaction.on_commit(lambda: _delete_files(paths))
    return count


def attachments_discard_draft(*, actor: Actor, municipality: Any, draft_token: str) -> int:
    """Remove the files of a draft its citizen deleted: theirs only."""
    authorize(actor, municipality, Permission.REQUEST)
    rows = list(
        Attachment.objects.filter(
            municipality=municipality,
            draft_token=draft_token,
            case__isnull=True,
            uploaded_by_id=actor.user_id,
        )
    )
    return _remove(rows) if rows else 0


def attachments_discard_expired_drafts(
    *, actor: Actor, municipality: Any, draft_tokens: Sequence[str]
) -> int:
    """Remove the files of drafts that expired (the services' daily job names them)."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    rows = list(
        Attachment.objects.filter(
            municipality=municipality, draft_token__in=list(draft_tokens), case__isnull=True
        )
    )
    return _remove(rows) if rows else 0


def _orphan_files(municipality: Any, now: dt.datetime) -> list[str]:
    """Files of the municipality's folder on storage that no row names, older than
    ORPHAN_AGE."""
    storage = attachment_storage
    known = set(Attachment.objects.filter(municipality=municipality).values_list("file", flat=True))
    orphans: list[str] = []
    folder = str(municipality.pk)
    try:
        names = storage.listdir(folder)[1]
    except (FileNotFoundError, NotImplementedError):
        return []
    for name in names:
        path = f"{folder}/{name}"
        if path in known:
            continue
        try:
            modified = storage.get_modified_time(path)
        except (NotImplementedError, OSError):
            continue
        if now - modified > ORPHAN_AGE:
            orphans.append(path)
    return orphans


def attachments_cleanup(
    *, actor: Actor, municipality: Any, now: dt.datetime | None = None, days: int | None = None
) -> int:
    """Remove the municipality's files of drafts nobody submitted: a draft whose last
    file was sent more than `days` (ELOKET_ATTACHMENTS_DRAFT_DAYS) ago is abandoned, and
    all its files go, rows and storage; and files on storage that no row names. Returns
    how many."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    now = now or timezone.now()
    days = settings.ELOKET_ATTACHMENTS_DRAFT_DAYS if days is None else days
    cutoff = now - dt.timedelta(days=days)
    expired = (
        Attachment.objects.filter(municipality=municipality, case__isnull=True)
        .exclude(draft_token="")
        .values("draft_token")
        .annotate(last=Max("uploaded_at"))
        .filter(last__lt=cutoff)
        .values_list("draft_token", flat=True)
    )
    rows = list(
        Attachment.objects.filter(
            municipality=municipality, case__isnull=True, draft_token__in=list(expired)
        )
    )
    removed = _remove(rows) if rows else 0
    orphans = _orphan_files(municipality, now)
    _delete_files(orphans)
    return removed + len(orphans)


class UnknownQuestion(ApplicationError):
    code = "unknown_question"
    status = 400


def attachments_store_answers(
    *, actor: Actor, municipality: Any, case: Case, files: Mapping[str, Sequence[Any]]
) -> list[Attachment]:
    """Files for the questions of `case`'s form, by question name (the API's multipart
    fields): each question's rules come from the case's handler; a question its form
    does not ask, or a refused file, refuses them all (nothing stored)."""
    from eloket.cases.handlers import case_handlers

    check_may_attach(actor, municipality, case)
    handler = case_handlers[case.case_type.handler]
    rules: dict[str, FileRules] = {}
    for question in files:
        found = handler.file_rules(case, question) if question.strip() else None
        if found is None:
            raise UnknownQuestion(
                _("This request asks no file question “%(name)s”.") % {"name": question[:100]},
                details={"question": question[:100]},
            )
        rules[question] = found
    if not any(files.values()):
        raise ApplicationError(_("Choose a file first."), code="file_required")
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            for question, uploads in files.items():
                stored += attachments_store(
                    actor=actor,
                    municipality=municipality,
                    uploads=uploads,
                    rules=rules[question],
                    case=case,
                    question=question,
                )
    except BaseException:
        _delete_files([a.file.name for a in stored if a.file.name])
        raise
    return stored
