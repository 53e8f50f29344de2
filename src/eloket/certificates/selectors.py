"""Reads of certificates and orders: for their requester, or for the officers of the
municipality that holds them. Nothing of one municipality reaches another's officers."""

import functools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import connections, router
from django.db.models import Count, Model, QuerySet
from django.utils.translation import gettext as _

from eloket.cases.codes import normalise_tracking_code
from eloket.cases.models import Case, CaseMessage, CaseType, StatusChange
from eloket.cases.selectors import case_for_officer, cases_of_municipality
from eloket.certificates.content import review_warnings
from eloket.certificates.defaults import DEFAULTS
from eloket.certificates.handler import OrderStatus
from eloket.certificates.models import CertificateKind, CertificateOrder, CertificateType, Delivery
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import same_municipality
from eloket.documents.models import IssuedDocument
from eloket.register.models import DataCategory, Person
from eloket.register.selectors import PersonRecordView, person_record, record_read_elsewhere
from eloket.tenants.models import Module

KIND = "certificate_order"


class UnknownType(ApplicationError):
    code = "unknown_certificate_type"


def certificate_types_offered(*, municipality: Any) -> list[CertificateType]:
    if Module.CERTIFICATES not in municipality.modules:
        return []
    types = list(CertificateType.objects.filter(municipality=municipality, enabled=True))
    if not types and not CertificateType.objects.filter(municipality=municipality).exists():
        # The module was switched on after the municipality was made: its first use
        # sets up the defaults, as the platform's own act.
        from eloket.certificates.services.types import certificate_types_ensure
        from eloket.common.actors import Actor

        types = certificate_types_ensure(
            actor=Actor.system("Eloket", municipality), municipality=municipality
        )
    order = list(DEFAULTS)
    return sorted(types, key=lambda t: order.index(t.code) if t.code in order else 99)


def certificate_type_get(*, municipality: Any, code: str) -> CertificateType:
    for certificate_type in certificate_types_offered(municipality=municipality):
        if certificate_type.code == code:
            return certificate_type
    raise UnknownType(
        _("%(name)s does not issue a certificate “%(code)s” online.")
        % {"name": municipality.display_name(), "code": code[:40]}
    )


def offered_channels(*, municipality: Any, certificate_type: CertificateType) -> list[str]:
    """The certificate's delivery channels that the municipality has not switched off."""
    from eloket.cases.delivery import delivery_channels

    return [
        code
        for code in certificate_type.delivery_channels
        if code in delivery_channels and delivery_channels[code].available(municipality)
    ]


def order_of(*, municipality: Any, case: Case) -> CertificateOrder:
    """The certificate part of a case (NotFound when the case is of another kind)."""
    order = (
        CertificateOrder.objects.select_related("certificate_type", "subject")
        .filter(municipality=municipality, case=case)
        .first()
    )
    if order is None:
        raise NotFound(_("There is no certificate order with this tracking code here."))
    # Both ends of the one-to-one in hand: the case's title (`case.display_title`) reads
    # `case.order` and would otherwise fetch this row again on every order page.
    order.case = case
    return order


# --- The order page's reads, in SQL.
#
# Jan's order page was the slowest citizen page (issue 11, point 11): composing its
# statements in the ORM took longer than running them (as on the forum's topic page,
# forum/selectors.py). The order with its case, the case's type, the certificate type and
# the subject is one statement, its text made once per process from the models' own
# columns, and each row turned into instances with the same conversions the ORM applies.
# tests/test_page_speed.py holds it to the ORM query it stands for.

_ORDER_PAGE_TABLES: tuple[tuple[type[Model], str, str], ...] = (
    # (model, alias, how it joins)
    (CertificateOrder, "o", ""),
    (Case, "k", "JOIN {table} k ON k.id = o.case_id"),
    (CaseType, "ct", "JOIN {table} ct ON ct.id = k.case_type_id"),
    (CertificateType, "t", "JOIN {table} t ON t.id = o.certificate_type_id"),
    # No subject row for someone only the national register holds (`national_subject`).
    (Person, "p", "LEFT JOIN {table} p ON p.id = o.subject_id"),
)


@dataclass(frozen=True)
class _Columns:
    model: type[Model]
    attnames: list[str]
    converters: list[list[Any]]  # per column: (converter, expression) pairs


@functools.cache
def _order_page_statement(alias: str) -> tuple[str, tuple[_Columns, ...]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    selected, joins, parts = [], [], []
    for model, short, join in _ORDER_PAGE_TABLES:
        fields = model._meta.concrete_fields
        selected += [f"{short}.{quote(str(field.column))}" for field in fields]
        if join:
            joins.append(join.format(table=quote(model._meta.db_table)))
        converters = []
        for field in fields:
            column = field.get_col(short)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters.append([(converter, column) for converter in found])
        parts.append(_Columns(model, [field.attname for field in fields], converters))
    # What else the page shows, as the newest row of each: the timeline and the messages
    # only grow (append-only), and a document made again is a new row. With the rows above
    # they name the page a requester sees (`page_row`, certificates/views.py).
    for model in (StatusChange, CaseMessage, IssuedDocument):
        selected.append(
            f"(SELECT MAX(x.id) FROM {quote(model._meta.db_table)} x WHERE x.case_id = k.id)"  # noqa: S608  # nosec B608
        )
    # The models' own table and column names only: every value is a parameter.
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(CertificateOrder._meta.db_table)} o "  # noqa: S608  # nosec B608
        + " ".join(joins)
        + " WHERE o.municipality_id = %s AND k.municipality_id = %s"
        " AND k.tracking_code = %s AND k.requester_id = %s"
    )
    return sql, tuple(parts)


@dataclass(frozen=True)
class OrderRow:
    """The requester's order as one row read: enough to name the page kept for them
    (`values`, `case_pk`); the models are made from it only when the page is (`models`),
    which costs five times the read (issue 11, point 11)."""

    values: tuple[Any, ...]
    alias: str
    municipality: Any

    @property
    def case_pk(self) -> int:
        _sql, parts = _order_page_statement(self.alias)
        return int(self.values[len(parts[0].attnames) + parts[1].attnames.index("id")])

    def models(self) -> tuple[Case, CertificateOrder]:
        _sql, parts = _order_page_statement(self.alias)
        connection = connections[self.alias]
        made: list[Any] = []
        start = 0
        for part in parts:
            values = list(self.values[start : start + len(part.attnames)])
            start += len(part.attnames)
            if part.model is Person and values[part.attnames.index("id")] is None:
                made.append(None)  # no subject in a register (`national_subject`)
                continue
            for i, converters in enumerate(part.converters):
                for converter, expression in converters:
                    values[i] = converter(values[i], expression, connection)
            made.append(part.model.from_db(self.alias, part.attnames, values))
        order, case, case_type, certificate_type, subject = made
        # The row as read (every value of the five rows, and the newest step, message and
        # document): what the requester's page shows, to name the page kept in the cache.
        case.page_row = self.values
        case.case_type = case_type
        case.municipality = self.municipality  # in hand: no join
        order.case = case
        order.certificate_type = certificate_type
        order.subject = subject
        case.order = order  # both ends of the one-to-one (see `order_of`): the title reads it
        return case, order


def order_row_for_requester(*, municipality: Any, user: User, tracking_code: str) -> OrderRow:
    """The requester's own order with its case, in one statement. The same refusal as
    `case_for_requester` for someone else's code, an unknown one or another kind of case."""
    alias = router.db_for_read(CertificateOrder)
    sql, _parts = _order_page_statement(alias)
    params = [
        municipality.pk,
        municipality.pk,
        normalise_tracking_code(tracking_code),
        getattr(user, "pk", None),
    ]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise NotFound(_("You have no request with this tracking code."))
    return OrderRow(tuple(row), alias, municipality)


def order_for_requester(
    *, municipality: Any, user: User, tracking_code: str
) -> tuple[Case, CertificateOrder]:
    """`order_row_for_requester` with its models made."""
    return order_row_for_requester(
        municipality=municipality, user=user, tracking_code=tracking_code
    ).models()


def order_history(*, municipality: Any, case: Case) -> tuple[list[StatusChange], list[CaseMessage]]:
    """The case's timeline and messages for its requester's page, as `timeline` and
    `messages_of` read them (their order: `at`, then `id`), in statements written once."""
    same_municipality(municipality, case)
    quote = connections[router.db_for_read(StatusChange)].ops.quote_name
    params = [municipality.pk, case.pk]
    read = (
        "SELECT * FROM {table} WHERE municipality_id = %s AND case_id = %s"  # noqa: S608  # nosec B608
        f" ORDER BY {quote('at')}, {quote('id')}"
    )
    steps = list(
        StatusChange.objects.raw(read.format(table=quote(StatusChange._meta.db_table)), params)
    )
    thread = list(
        CaseMessage.objects.raw(read.format(table=quote(CaseMessage._meta.db_table)), params)
    )
    for step in steps:
        step.case = case
    for message in thread:
        message.case = case
    return steps, thread


def order_for_officer(
    *, municipality: Any, actor: Actor, tracking_code: str
) -> tuple[Case, CertificateOrder]:
    case = case_for_officer(municipality=municipality, actor=actor, tracking_code=tracking_code)
    return case, order_of(municipality=municipality, case=case)


def order_with_subject_record(
    *, municipality: Any, actor: Actor, tracking_code: str
) -> tuple[Case, CertificateOrder, PersonRecordView | None]:
    """An order as an officer opens it: with the subject's register data, which is written
    to the subject's access log with the order as the purpose. None for a subject only the
    national register holds: the order shows what it answered (`order.national_subject`)."""
    case, order = order_for_officer(
        municipality=municipality, actor=actor, tracking_code=tracking_code
    )
    if order.subject is None:
        return case, order, None
    record = person_record(
        municipality=municipality,
        national_id=order.subject.national_id,
        actor=actor,
        purpose=_("Handling order %(code)s: %(what)s")
        % {"code": case.display_code, "what": order.certificate_type.label},
        case_ref=f"order:{case.tracking_code}",
        person=order.subject,
    )
    return case, order, record


def order_review_warnings(
    *, municipality: Any, order: CertificateOrder, record: PersonRecordView | None
) -> list[str]:
    """What the officer must see before approving (`content.review_warnings`), from the
    register data the order's page already read (no second read, no second log entry)."""
    same_municipality(municipality, order)
    if record is None:
        return []
    return review_warnings(kind=order.certificate_type.code, record=record)


def order_queue(
    *,
    municipality: Any,
    actor: Actor,
    status: str = "",
    certificate_type: str = "",
    older_than_days: int | None = None,
    mine: User | None = None,
    open_only: bool = False,
) -> QuerySet[Case]:
    qs = cases_of_municipality(
        municipality=municipality,
        actor=actor,
        kinds=[KIND],
        statuses=[status] if status else None,
        open_only=open_only,
        older_than_days=older_than_days,
        assigned_to=mine,
    )
    if certificate_type in CertificateKind.values:
        qs = qs.filter(order__certificate_type__code=certificate_type)
    return qs.select_related("order__certificate_type", "order__subject").order_by("due_at")


def queue_counts(*, municipality: Any, actor: Actor) -> dict[str, int]:
    rows = (
        cases_of_municipality(municipality=municipality, actor=actor, kinds=[KIND])
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


def documents_of_case(*, municipality: Any, case: Case) -> QuerySet[IssuedDocument]:
    return IssuedDocument.objects.filter(municipality=municipality, case=case).defer("pdf")


def document_of(*, municipality: Any, case: Case) -> IssuedDocument | None:
    """The latest document made for the case (with its PDF)."""
    return (
        IssuedDocument.objects.filter(municipality=municipality, case=case)
        .order_by("-issued_at")
        .first()
    )


def document_opened(*, municipality: Any, actor: Actor, case: Case) -> IssuedDocument | None:
    """The order's latest document as someone opens it (downloads the PDF): the subject
    reads in their access log who opened it, unless it is them."""
    document = document_of(municipality=municipality, case=case)
    if document is not None and document.subject is not None:
        record_read_elsewhere(
            municipality=municipality,
            actor=actor,
            person=document.subject,
            data=(DataCategory.CERTIFICATE,),
            purpose=_("Opening certificate %(document)s of order %(code)s")
            % {"document": document.display_code, "code": case.display_code},
            case_ref=f"order:{case.tracking_code}",
        )
    return document


def postal_orders_pending(*, municipality: Any, actor: Actor) -> QuerySet[Case]:
    """Issued orders to post that the officer may handle (their department's)."""
    return (
        cases_of_municipality(municipality=municipality, actor=actor)
        .filter(
            kind=KIND,
            status=OrderStatus.ISSUED,
            order__delivery=Delivery.POST,
            order__posted_at__isnull=True,
        )
        .select_related("order__subject", "order__certificate_type", "case_type", "requester")
        .order_by("created_at")
    )
