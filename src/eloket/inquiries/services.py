"""Writes of public inquiries (issue 13, points 4, 5 and 7): an officer opens the inquiry
of a permit application (which puts it on the municipality's public notice for the
service's period), anyone logged in with an eID objects during it and gets a sealed
receipt, withdraws their objection while it runs, and the officer answers every
objection; the decision waits for the period's end and for an answer to each one.

The service's definition asks for an inquiry with `public_inquiry`: `{"days": 30}`
(the period), its workflow with the statuses it runs in. The case's own transitions are
the case engine's; the service handler calls these around them."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.attachments.checks import check_file, too_many
from eloket.attachments.storage import attachment_storage
from eloket.audit.services import audit_record
from eloket.cases.models import Case
from eloket.cases.services import WrongState
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.files import MESSAGE_FILE_RULES
from eloket.common.permissions import Permission, PermissionDenied, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.inquiries.models import (
    Advice,
    AdviceOutcome,
    Channel,
    CompletenessRequest,
    NeighbourNotice,
    NoticeDocument,
    Objection,
    ObjectionFile,
    PublicInquiry,
)
from eloket.inquiries.neighbours import letter_batch_pdf, location_point, neighbours_notify
from eloket.inquiries.selectors import completion_days

DEFAULT_DAYS = 30
# The longest a clerk may give an applicant to complete an incomplete application.
MAX_COMPLETION_DAYS = 180
INCOMPLETE = "request_info"
INADMISSIBLE = "close_inadmissible"
# The statuses in which advice is recorded (before the decision).
ADVICE_STATUSES = ("in_review", "public_inquiry", "advice")
MAX_TEXT = 4000
# What an objection may carry: as a message of a case (PDF, PNG, JPEG; 10 MB; 5 files).
OBJECTION_FILE_RULES = MESSAGE_FILE_RULES
RECEIPT_KIND = "objection_receipt"
# The languages the documents' wording exists in (documents/typst/lang/).
DOCUMENT_LANGUAGES = ("nl", "fr", "de", "en", "ko")


def _inquiry_days(case: Case) -> int | None:
    """The inquiry period the case's service asks for; None when it has no inquiry."""
    spec = (case.case_type.options or {}).get("public_inquiry")
    if not spec:
        return None
    return int(spec.get("days", DEFAULT_DAYS))


def inquiry_open(
    *,
    actor: Actor,
    municipality: Any,
    case: Case,
    title: str,
    location: str,
    description: str = "",
    place: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> PublicInquiry:
    """Open the request's public inquiry now, for the service's period, and tell the
    residents near `place` (the application's location answer: its coordinates, else
    its address as the register places it). Refused for a service without one and for a
    request whose inquiry was held already."""
    same_municipality(municipality, case)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    days = _inquiry_days(case)
    if days is None:
        raise WrongState(_("This kind of request has no public inquiry."))
    title, location, description = title.strip(), location.strip(), description.strip()
    for text in (title, location, description):
        refuse_hidden_characters(text)
    if not title or not location:
        raise ApplicationError(
            _("The notice needs what is applied for and where."), code="notice_incomplete"
        )
    now = now or timezone.now()
    with transaction.atomic():
        if PublicInquiry.objects.filter(case=case).exists():
            raise WrongState(_("The public inquiry of this request was held already."))
        inquiry = PublicInquiry.objects.create(
            municipality=municipality,
            case=case,
            title=title[:200],
            location=location[:300],
            description=description[:MAX_TEXT],
            starts_at=now,
            ends_at=now + dt.timedelta(days=days),
            opened_by_id=actor.user_pk,
        )
        audit_record(
            actor=actor,
            municipality=municipality,
            action="inquiry.open",
            object_type="case",
            object_ref=case.tracking_code,
            data={"inquiry": inquiry.pk, "days": days, "ends_at": inquiry.ends_at.isoformat()},
        )
        neighbours_notify(
            actor=actor,
            municipality=municipality,
            inquiry=inquiry,
            point=location_point(municipality, place),
        )
    return inquiry


def _citizen(actor: Actor, municipality: Any) -> int:
    """The citizen's user (the caller authorized PARTICIPATE: anyone logged in with an
    eID, resident or not, takes part in an inquiry)."""
    if actor.kind != ActorKind.CITIZEN or actor.user_id is None:
        raise PermissionDenied(_("Log in with your eID to object."))
    return actor.user_id


def objection_submit(
    *,
    actor: Actor,
    municipality: Any,
    inquiry: PublicInquiry,
    text: str,
    named: bool = False,
    files: Sequence[Any] = (),
    now: dt.datetime | None = None,
) -> Objection:
    """Object during the inquiry (one standing objection per person: withdraw it to
    object again), with up to five files (PDF, PNG, JPEG; checked on their content as
    every attachment is). Answers the objection with its sealed receipt's code."""
    same_municipality(municipality, inquiry)
    authorize(actor, municipality, Permission.PARTICIPATE)
    user_id = _citizen(actor, municipality)
    text = text.strip()
    refuse_hidden_characters(text)
    if not text:
        raise ApplicationError(_("Write your objection."), code="text_required")
    if len(text) > MAX_TEXT:
        raise ApplicationError(
            _("An objection is at most %(n)d characters.") % {"n": MAX_TEXT},
            code="text_too_long",
        )
    now = now or timezone.now()
    if not inquiry.is_open(now):
        raise WrongState(_("The public inquiry is not open: objections are no longer taken."))
    uploads = [f for f in files if f is not None]
    if len(uploads) > OBJECTION_FILE_RULES.max_files:
        raise too_many(OBJECTION_FILE_RULES, 0)
    checked = [check_file(upload, OBJECTION_FILE_RULES) for upload in uploads]
    stored: list[str] = []
    try:
        with transaction.atomic():
            objection = _objection_create(
                actor, municipality, inquiry, user_id, text, named, now, checked, stored
            )
    except BaseException:
        for path in stored:
            attachment_storage.delete(path)
        raise
    return objection


def _objection_create(
    actor: Actor,
    municipality: Any,
    inquiry: PublicInquiry,
    user_id: int,
    text: str,
    named: bool,
    now: dt.datetime,
    checked: list[Any],
    stored: list[str],
) -> Objection:
    """The objection, its files and its receipt, inside the caller's transaction."""
    PublicInquiry.objects.select_for_update().filter(pk=inquiry.pk).first()
    if Objection.objects.filter(
        inquiry=inquiry, objector_id=user_id, withdrawn_at__isnull=True
    ).exists():
        raise WrongState(_("You objected already: withdraw that objection to object again."))
    objection = Objection.objects.create(
        municipality=municipality,
        inquiry=inquiry,
        objector_id=user_id,
        objector_name=actor.label[:200],
        text=text,
        named=bool(named),
        submitted_at=now,
    )
    for item in checked:
        public_id = uuid.uuid4()
        # Our own name on storage, nothing of the sender's; in a folder of its own, which
        # the attachments' sweep of files no attachment names never looks into.
        path = attachment_storage.save(f"{municipality.pk}/objections/{public_id.hex}", item.upload)
        stored.append(path)
        row = ObjectionFile(
            municipality=municipality,
            public_id=public_id,
            objection=objection,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
        )
        row.file.name = path
        row.save()
    objection.receipt_code = _receipt(actor, municipality, inquiry, objection).code
    objection.save(update_fields=["receipt_code"])
    audit_record(
        actor=actor,
        municipality=municipality,
        action="inquiry.object",
        object_type="case",
        object_ref=inquiry.case.tracking_code,
        data={
            "objection": objection.pk,
            "named": objection.named,
            "files": [{"content_type": c.content_type, "sha256": c.sha256} for c in checked],
        },
    )
    return objection


def _receipt(actor: Actor, municipality: Any, inquiry: PublicInquiry, objection: Objection) -> Any:
    """The sealed receipt, in the language of the page the objector used (the documents'
    languages, else the municipality's)."""
    from eloket.certificates.content import document_frame
    from eloket.documents.render import logo_for_pdf
    from eloket.documents.services import document_issue

    language = translation.get_language() or municipality.default_language
    if language not in ("nl", "fr", "de", "en", "ko"):
        language = (
            municipality.default_language
            if municipality.default_language in ("nl", "fr", "de", "en", "ko")
            else "en"
        )
    frame = document_frame(
        municipality=municipality,
        language=language,
        purpose="",
        issued_on=timezone.localdate(),
        logo=logo_for_pdf(municipality),
    )
    with translation.override(language):
        day = formats.date_format(timezone.localdate(objection.submitted_at), "DATE_FORMAT")
        period = _("%(start)s to %(end)s") % {
            "start": formats.date_format(timezone.localdate(inquiry.starts_at), "DATE_FORMAT"),
            "end": formats.date_format(timezone.localdate(inquiry.ends_at), "DATE_FORMAT"),
        }
        title = _("Receipt of an objection")
    data = {
        **frame,
        "inquiry": {
            "title": inquiry.title,
            "location": inquiry.location,
            "period": period,
            "code": inquiry.case.display_code,
        },
        "objection": {
            "objector": objection.objector_name,
            "text": objection.text,
            "named": objection.named,
            "submitted_on": day,
            "files": [f.name for f in objection.files.all()],
        },
    }
    # The document belongs to no case: the applicant's request page never lists it.
    return document_issue(
        actor=Actor.system("Eloket", municipality),
        municipality=municipality,
        kind=RECEIPT_KIND,
        template="services/objection_receipt",
        language=language,
        subject=None,
        data=data,
        attested={"objection": objection.pk, "inquiry": inquiry.pk},
        summary={
            "title": f"{title}: {inquiry.title}",
            "title_msgid": "Receipt of an objection",
            "subject": f"{inquiry.title} · {inquiry.case.display_code}",
            "municipality": frame["municipality"]["name"],
        },
        case=None,
        reason=f"{title}: {inquiry.title}",
    )


def objection_withdraw(
    *, actor: Actor, municipality: Any, objection: Objection, now: dt.datetime | None = None
) -> Objection:
    """The objector withdraws their objection while the inquiry runs."""
    same_municipality(municipality, objection)
    authorize(actor, municipality, Permission.PARTICIPATE)
    user_id = _citizen(actor, municipality)
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Objection.objects.select_for_update().select_related("inquiry").get(pk=objection.pk)
        )
        if locked.objector_id != user_id:
            raise PermissionDenied(_("This is not your objection."))
        if locked.withdrawn_at is not None:
            raise WrongState(_("You withdrew this objection already."))
        if not locked.inquiry.is_open(now):
            raise WrongState(_("The public inquiry has ended: the objection stands."))
        locked.withdrawn_at = now
        locked.save(update_fields=["withdrawn_at"])
        audit_record(
            actor=actor,
            municipality=municipality,
            action="inquiry.withdraw",
            object_type="objection",
            object_ref=str(locked.pk),
        )
    return locked


def objection_answer(
    *, actor: Actor, municipality: Any, objection: Objection, answer: str
) -> Objection:
    """The municipality's answer to an objection, which the decision publishes. It may be
    changed until the decision is taken."""
    same_municipality(municipality, objection)
    # As it stands now (the caller's copy may be older than the decision).
    case = Case.objects.select_related("case_type").get(pk=objection.inquiry.case_id)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    answer = answer.strip()
    refuse_hidden_characters(answer)
    if not answer:
        raise ApplicationError(_("Write the answer."), code="text_required")
    if len(answer) > MAX_TEXT:
        raise ApplicationError(
            _("An answer is at most %(n)d characters.") % {"n": MAX_TEXT}, code="text_too_long"
        )
    if case.case_type.spec.is_final(case.status):
        raise WrongState(_("The request is decided: its answers are published as they are."))
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.withdrawn_at is not None:
            raise WrongState(_("This objection was withdrawn: it needs no answer."))
        objection.answer = answer
        objection.answered_by_label = actor.label[:200]
        objection.answered_at = timezone.now()
        objection.save(update_fields=["answer", "answered_by_label", "answered_at"])
        audit_record(
            actor=actor,
            municipality=municipality,
            action="inquiry.answer",
            object_type="objection",
            object_ref=str(objection.pk),
        )
    return objection


def completeness_incomplete(
    *,
    actor: Actor,
    municipality: Any,
    case: Case,
    missing: str,
    deadline: dt.date | None = None,
) -> CompletenessRequest:
    """The clerk finds the application incomplete: the applicant reads what is missing
    (the reason) and the day to complete it by (the service's `completion_days` from
    today unless the clerk names a day), on their timeline, in their language, and
    answers with documents or words (`reply`)."""
    from eloket.cases.services import case_transition

    same_municipality(municipality, case)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    missing = missing.strip()
    refuse_hidden_characters(missing)
    if not missing:
        raise ApplicationError(
            _("Say what is missing: the applicant reads it."), code="reason_required"
        )
    today = timezone.localdate()
    deadline = deadline or today + dt.timedelta(
        days=completion_days(municipality=municipality, case=case)
    )
    if not today < deadline <= today + dt.timedelta(days=MAX_COMPLETION_DAYS):
        raise ApplicationError(
            _("The day to complete by is after today and at most %(n)d days away.")
            % {"n": MAX_COMPLETION_DAYS},
            code="invalid_date",
        )
    with transaction.atomic():
        case_transition(
            actor=actor,
            municipality=municipality,
            case=case,
            action=INCOMPLETE,
            reason=missing[:MAX_TEXT],
            message=INCOMPLETE_TEXT,
            params={"deadline": deadline.isoformat()},
        )
        return CompletenessRequest.objects.create(
            municipality=municipality,
            case=case,
            missing=missing[:MAX_TEXT],
            deadline=deadline,
            asked_at=timezone.now(),
            asked_by_id=actor.user_pk,
        )


# The timeline's words (the missing items follow as the step's reason).
INCOMPLETE_TEXT = gettext_noop(
    "The application is incomplete: please send what is missing by %(deadline)s."
)


def neighbour_letters(*, actor: Actor, municipality: Any, inquiry: PublicInquiry) -> bytes:
    """The inquiry's letter batch for the post (a PDF, one page per neighbour told by
    letter), for the officers who handle the request."""
    same_municipality(municipality, inquiry)
    case = inquiry.case
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    notices = list(
        NeighbourNotice.objects.filter(
            municipality=municipality, inquiry=inquiry, channel=Channel.LETTER
        )
    )
    if not notices:
        raise ApplicationError(_("No neighbour is to be told by post."), code="no_letters")
    audit_record(
        actor=actor,
        municipality=municipality,
        action="inquiry.letters",
        object_type="case",
        object_ref=case.tracking_code,
        data={"letters": len(notices)},
    )
    return letter_batch_pdf(inquiry, notices)


def advice_record(
    *,
    actor: Actor,
    municipality: Any,
    case: Case,
    adviser: str,
    outcome: str,
    text: str,
    given_on: dt.date | None = None,
) -> Advice:
    """Record the advice another department or an outside body gave on the application,
    before the decision (while its inquiry runs or after it)."""
    same_municipality(municipality, case)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    adviser, text = adviser.strip(), text.strip()
    refuse_hidden_characters(adviser, text)
    if not adviser or not text:
        raise ApplicationError(_("Say who advised and what."), code="text_required")
    if outcome not in AdviceOutcome.values:
        raise ApplicationError(_("Choose the advice's outcome."), code="invalid_outcome")
    if len(text) > MAX_TEXT:
        raise ApplicationError(
            _("An advice is at most %(n)d characters.") % {"n": MAX_TEXT}, code="text_too_long"
        )
    today = timezone.localdate()
    given_on = given_on or today
    if given_on > today:
        raise ApplicationError(_("Advice given later cannot be recorded yet."), code="invalid_date")
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("case_type").get(pk=case.pk)
        if locked.case_type.spec.is_final(locked.status) or locked.status not in ADVICE_STATUSES:
            raise WrongState(
                _("Advice is recorded during the inquiry or after it, before the decision.")
            )
        advice = Advice.objects.create(
            municipality=municipality,
            case=case,
            adviser=adviser[:200],
            outcome=outcome,
            text=text,
            given_on=given_on,
            recorded_by_label=actor.label[:200],
            recorded_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            municipality=municipality,
            action="inquiry.advice",
            object_type="case",
            object_ref=case.tracking_code,
            data={"advice": advice.pk, "outcome": outcome},
        )
    return advice


def objection_group(
    *, actor: Actor, municipality: Any, objection: Objection, group: str
) -> Objection:
    """File an objection under a theme (empty: back with those of the same text), so
    that officers read and answer like objections together."""
    same_municipality(municipality, objection)
    case = Case.objects.select_related("case_type").get(pk=objection.inquiry.case_id)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    group = " ".join(group.split())
    refuse_hidden_characters(group)
    if len(group) > 100:
        raise ApplicationError(
            _("A group's name is at most %(n)d characters.") % {"n": 100}, code="text_too_long"
        )
    objection.group = group
    objection.save(update_fields=["group"])
    audit_record(
        actor=actor,
        municipality=municipality,
        action="inquiry.group",
        object_type="objection",
        object_ref=str(objection.pk),
        data={"group": group},
    )
    return objection


def objections_answer_group(
    *, actor: Actor, municipality: Any, objections: list[Objection], answer: str
) -> int:
    """One answer for every standing objection of a group; how many were answered."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    answered = 0
    with transaction.atomic():
        for objection in objections:
            if objection.withdrawn_at is None:
                objection_answer(
                    actor=actor, municipality=municipality, objection=objection, answer=answer
                )
                answered += 1
    return answered


def notice_documents_set(
    *, actor: Actor, municipality: Any, inquiry: PublicInquiry, public_ids: Sequence[str]
) -> int:
    """Which files of the application the notice shows (the others are taken off it);
    how many it shows now. Only files of the request itself."""
    from eloket.attachments.selectors import attachments_of_case

    same_municipality(municipality, inquiry)
    case = inquiry.case
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    wanted = {str(p) for p in public_ids}
    files = {
        str(a.public_id): a
        for a in attachments_of_case(municipality=municipality, case=case).filter(
            message__isnull=True
        )
    }
    if wanted - set(files):
        raise NotFound(_("There is no such file."))
    with transaction.atomic():
        NoticeDocument.objects.filter(inquiry=inquiry).exclude(
            attachment__public_id__in=[files[p].public_id for p in wanted]
        ).delete()
        have = set(
            NoticeDocument.objects.filter(inquiry=inquiry).values_list(
                "attachment__public_id", flat=True
            )
        )
        for public_id in sorted(wanted):
            if files[public_id].public_id not in have:
                NoticeDocument.objects.create(
                    municipality=municipality,
                    inquiry=inquiry,
                    attachment=files[public_id],
                    marked_by_label=actor.label[:200],
                    marked_at=timezone.now(),
                )
        audit_record(
            actor=actor,
            municipality=municipality,
            action="inquiry.documents",
            object_type="case",
            object_ref=case.tracking_code,
            data={"public": sorted(wanted)},
        )
    return len(wanted)
