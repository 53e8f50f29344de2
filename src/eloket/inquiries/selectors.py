"""Reads of public inquiries: the municipality's current ones (its public notice), one
inquiry, its objections, a person's own objection."""

import datetime as dt
import uuid
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from eloket.cases.services import WrongState
from eloket.common.actors import Actor
from eloket.common.errors import NotFound
from eloket.common.permissions import Permission, PermissionDenied, authorize
from eloket.inquiries.models import (
    Advice,
    Channel,
    CompletenessRequest,
    NeighbourNotice,
    NoticeDocument,
    Objection,
    ObjectionFile,
    PublicInquiry,
)

# The days an applicant gets to complete an incomplete application, unless the clerk
# names another day (a service's `public_inquiry.completion_days`).
DEFAULT_COMPLETION_DAYS = 30


def inquiries_current(
    *, municipality: Any, now: dt.datetime | None = None
) -> QuerySet[PublicInquiry]:
    now = now or timezone.now()
    return (
        PublicInquiry.objects.filter(municipality=municipality, starts_at__lte=now, ends_at__gt=now)
        .select_related("case", "case__case_type")
        .order_by("ends_at", "id")
    )


def inquiry_get(*, municipality: Any, inquiry_id: int) -> PublicInquiry:
    """An inquiry of this municipality (current or past: the notice stays readable)."""

    inquiry = (
        PublicInquiry.objects.filter(municipality=municipality, pk=inquiry_id)
        .select_related("case", "case__case_type")
        .first()
    )
    if inquiry is None:
        raise NotFound(_("There is no such public inquiry here."))
    return inquiry


def inquiry_of_case(*, municipality: Any, case: Any) -> PublicInquiry | None:
    return PublicInquiry.objects.filter(municipality=municipality, case=case).first()


def objections_of(*, municipality: Any, inquiry: PublicInquiry) -> QuerySet[Objection]:
    """For the officers who handle the request: every objection, standing ones first."""
    return Objection.objects.filter(municipality=municipality, inquiry=inquiry).order_by(
        "withdrawn_at", "submitted_at", "id"
    )


def standing_objections(*, municipality: Any, inquiry: PublicInquiry) -> QuerySet[Objection]:
    return Objection.objects.filter(
        municipality=municipality, inquiry=inquiry, withdrawn_at__isnull=True
    )


def own_objection(*, municipality: Any, inquiry: PublicInquiry, user: Any) -> Objection | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Objection.objects.filter(
            municipality=municipality,
            inquiry=inquiry,
            objector_id=user.pk,
            withdrawn_at__isnull=True,
        )
        .order_by("-submitted_at")
        .first()
    )


def objection_of_case(*, municipality: Any, case: Any, objection_id: str | int) -> Objection:
    """An objection in the request's inquiry (a number from a form: anything else is not
    found)."""

    found = None
    if str(objection_id).isdigit() and int(objection_id) < 2**31:
        found = (
            Objection.objects.filter(
                municipality=municipality, inquiry__case=case, pk=int(objection_id)
            )
            .select_related("inquiry", "inquiry__case", "inquiry__case__case_type")
            .first()
        )
    if found is None:
        raise NotFound(_("There is no such objection on this request."))
    return found


def decisions_published(*, municipality: Any) -> QuerySet[Any]:
    """The decisions on requests that had a public inquiry: public by law, readable by
    anyone (their PDFs too). Newest first."""
    from eloket.documents.models import IssuedDocument

    return (
        IssuedDocument.objects.filter(
            municipality=municipality,
            kind="service_decision",
            case__in=PublicInquiry.objects.filter(municipality=municipality).values("case"),
        )
        .defer("pdf")
        .select_related("case", "case__case_type")
        .order_by("-issued_at", "-id")
    )


def decision_published(*, municipality: Any, code: str) -> Any:

    from eloket.documents.codes import normalise_code

    found = decisions_published(municipality=municipality).filter(code=normalise_code(code)).first()
    if found is None:
        raise NotFound(_("There is no such published decision here."))
    return found


def inquiry_may_end(*, municipality: Any, case: Any, now: dt.datetime | None = None) -> None:
    """Refuse ending the inquiry before its period is over."""
    inquiry = PublicInquiry.objects.filter(municipality=municipality, case=case).first()
    if inquiry is None:
        raise WrongState(_("This request has no public inquiry."))
    if inquiry.is_open(now):
        raise WrongState(
            _("The public inquiry runs until %(date)s: it cannot end before.")
            % {"date": formats.date_format(timezone.localtime(inquiry.ends_at), "DATETIME_FORMAT")}
        )


def decision_blockers(*, municipality: Any, case: Any, now: dt.datetime | None = None) -> str:
    """Why the request cannot be decided yet because of its inquiry ("" when it can): the
    period still runs, or an objection has no answer."""
    inquiry = PublicInquiry.objects.filter(municipality=municipality, case=case).first()
    if inquiry is None:
        return ""
    if inquiry.is_open(now):
        return str(_("The public inquiry still runs: decide after it ends."))
    unanswered = inquiry.objections.filter(withdrawn_at__isnull=True, answered_at__isnull=True)
    count = unanswered.count()
    if count:
        return str(_("Answer every objection first: %(n)d without an answer.") % {"n": count})
    return ""


def completeness_of(*, municipality: Any, case: Any) -> dict[str, Any] | None:
    """For the clerk's page of a request with an inquiry: the day an incompleteness
    would give by default, and the latest completion asked (None: not asked)."""
    if not (case.case_type.options or {}).get("public_inquiry"):
        return None
    return {
        "default_deadline": timezone.localdate()
        + dt.timedelta(days=completion_days(municipality=municipality, case=case)),
        "asked": CompletenessRequest.objects.filter(municipality=municipality, case=case).first(),
    }


def completion_days(*, municipality: Any, case: Any) -> int:
    """The days an incomplete application gets by default (the service's
    `public_inquiry.completion_days`)."""
    spec = (case.case_type.options or {}).get("public_inquiry") or {}
    return int(spec.get("completion_days", DEFAULT_COMPLETION_DAYS))


def neighbours_told(*, municipality: Any, inquiry: PublicInquiry) -> dict[str, int]:
    """How many residents near the application were told, by e-mail and by letter."""
    notices = NeighbourNotice.objects.filter(municipality=municipality, inquiry=inquiry)
    counts = dict(notices.values_list("channel").annotate(n=Count("id")))
    return {
        "email": counts.get(Channel.EMAIL, 0),
        "letter": counts.get(Channel.LETTER, 0),
        "total": sum(counts.values()),
    }


def completeness_may_close(*, municipality: Any, case: Any, today: dt.date | None = None) -> None:
    """Closing as inadmissible waits for the day to complete by to pass (WrongState
    before it, or when no completion was asked)."""
    asked = CompletenessRequest.objects.filter(municipality=municipality, case=case).first()
    today = today or timezone.localdate()
    if asked is None:
        raise WrongState(
            _("No completion was asked: the application cannot be closed as inadmissible.")
        )
    if today <= asked.deadline:
        raise WrongState(
            _("The applicant has until %(date)s to complete the application.")
            % {"date": formats.date_format(asked.deadline, "DATE_FORMAT")}
        )


def objections_grouped(
    *, municipality: Any, inquiry: PublicInquiry
) -> list[tuple[str, list[Objection]]]:
    """The objections as officers read them: by the group an officer gave them, else
    with those of the same text (whitespace and case aside); the largest groups first,
    withdrawn objections last in their group."""
    groups: dict[str, tuple[str, list[Objection]]] = {}
    for objection in objections_of(municipality=municipality, inquiry=inquiry):
        if objection.group:
            key, label = "g:" + objection.group.casefold(), objection.group
        else:
            words = " ".join(objection.text.split())
            key, label = "t:" + words.casefold(), ""
        groups.setdefault(key, (label, []))[1].append(objection)
    return sorted(
        groups.values(),
        key=lambda g: (-sum(o.withdrawn_at is None for o in g[1]), g[1][0].submitted_at),
    )


def advice_of(*, municipality: Any, case: Any) -> QuerySet[Advice]:
    return Advice.objects.filter(municipality=municipality, case=case)


DEFAULT_APPEAL_DAYS = 30


def appeal_ends(*, municipality: Any, decision: Any) -> dt.date:
    """The last day to appeal a published decision: the service's
    `public_inquiry.appeal_days` (30 by default) after the day it was issued."""
    spec = (decision.case.case_type.options or {}).get("public_inquiry") or {}
    days = int(spec.get("appeal_days", DEFAULT_APPEAL_DAYS))
    return timezone.localdate(decision.issued_at) + dt.timedelta(days=days)


def notice_documents(*, municipality: Any, inquiry: PublicInquiry) -> list[Any]:
    """The application's files the municipality marked public, for the notice."""
    return [
        d.attachment
        for d in NoticeDocument.objects.filter(
            municipality=municipality, inquiry=inquiry
        ).select_related("attachment")
    ]


def notice_document(*, municipality: Any, inquiry: PublicInquiry, public_id: str) -> Any:
    """One file the notice shows, for anyone (NotFound for any other)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(_("There is no such file.")) from None
    found = (
        NoticeDocument.objects.filter(
            municipality=municipality, inquiry=inquiry, attachment__public_id=key
        )
        .select_related("attachment")
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such file."))
    return found.attachment


def objection_file(
    *, municipality: Any, actor: Actor, inquiry: PublicInquiry, public_id: str
) -> ObjectionFile:
    """A file of an objection, for the officers who handle the request (NotFound for
    anyone else, as for a file that does not exist)."""
    case = inquiry.case
    try:
        authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
        key = uuid.UUID(str(public_id))
    except (PermissionDenied, ValueError):
        raise NotFound(_("There is no such file.")) from None
    found = ObjectionFile.objects.filter(
        municipality=municipality, objection__inquiry=inquiry, public_id=key
    ).first()
    if found is None:
        raise NotFound(_("There is no such file."))
    return found
