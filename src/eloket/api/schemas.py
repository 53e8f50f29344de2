"""Shapes of the API's requests and answers (also the OpenAPI components)."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from eloket.common.forms import ID_MAX
from eloket.common.text import FREE_TEXT_PATTERN
from eloket.tenants.links import municipality_urls
from eloket.tenants.models import Municipality

# Text people type. The schema tells clients which characters are refused (NUL and the
# controls of text direction, common/text.py); the services refuse them, with a message
# in the caller's language (400 invalid_characters), so the pattern only documents.
FREE_TEXT = {"pattern": FREE_TEXT_PATTERN}
FreeText = Annotated[str, Field(json_schema_extra=FREE_TEXT)]

# A key (topic, opinion, petition, token, ...) in a path or query: 1 .. ID_MAX, as in URLs
# and forms (common/ids.py). The schema says so; outside it the answer is 422
# invalid_input, never a query with a number the database cannot hold.
Id = Annotated[int, Field(ge=1, le=ID_MAX, description="A key, as the API gave it.")]


def _json_integer(value: Any) -> Any:
    # pydantic would read true as 1 and "12" as 12; JSON Schema's "integer" takes neither
    # (but does take 12.0, which pydantic reads as 12 and refuses 12.5).
    if isinstance(value, bool | str):
        raise ValueError("Input should be a JSON number")
    return value


# An integer in a JSON body is a JSON number, as the schema's "integer" says: true or "12"
# are refused (422), not read as 1 or 12. (Booleans of a body are strict for the same
# reason: "true" or 1 is no true.)
JsonInt = Annotated[int, BeforeValidator(_json_integer)]
# A key in a JSON body.
BodyId = Annotated[
    int,
    Field(ge=1, le=ID_MAX, description="A key, as the API gave it."),
    BeforeValidator(_json_integer),
]


class Error(Schema):
    code: str = Field(
        ..., description="Stable machine-readable code, e.g. not_found, invalid_input."
    )
    message: str = Field(..., description="Human-readable explanation in the request's language.")
    details: Any = Field(None, description="Further structure, e.g. one entry per invalid field.")


class Health(Schema):
    status: str
    database: str


class MunicipalityUrls(Schema):
    home: str
    catalogue: str
    api: str


class Contact(Schema):
    email: str
    phone: str
    address: str
    website: str


class MunicipalityOut(Schema):
    slug: str
    country: str = Field(..., description="ISO 3166-1 alpha-2.")
    nis_code: str = Field(..., description="Statistical code (NIS in Belgium).")
    names: dict[str, str] = Field(..., description="Official name per language code.")
    languages: list[str] = Field(..., description="Languages offered; the first is the default.")
    modules: list[str] = Field(..., description="Enabled modules.")
    host: str | None = Field(None, description="The municipality's own host name, if it has one.")
    urls: MunicipalityUrls
    contact: Contact

    @staticmethod
    def resolve_urls(obj: Municipality, context: dict[str, Any]) -> dict[str, str]:
        request = context["request"]
        base = f"{request.scheme}://{request.get_host()}"
        urls = municipality_urls(obj, platform_base_url=base)
        return {"home": urls["home"], "catalogue": urls["catalogue"], "api": urls["api"]}

    @staticmethod
    def resolve_contact(obj: Municipality) -> dict[str, str]:
        return {
            "email": obj.contact_email,
            "phone": obj.contact_phone,
            "address": obj.contact_address,
            "website": obj.website,
        }


class CatalogueEntryOut(Schema):
    title: str
    description: str
    url: str
    fee: str


class CatalogueSectionOut(Schema):
    module: str
    title: str
    intro: str
    entries: list[CatalogueEntryOut]


# --- Identity and the register


class AddressOut(Schema):
    street: str
    house_number: str
    box: str
    postcode: str
    municipality: str = Field(..., alias="municipality_name")
    district: str
    is_main_residence: bool
    valid_from: dt.date
    valid_to: dt.date | None


class PersonOut(Schema):
    national_number: str = Field(..., description="Bare digits.", alias="national_id")
    country: str
    first_names: str
    last_name: str
    full_name: str
    sex: str
    birth_date: dt.date | None
    birth_place: str
    nationality: str
    civil_status: str
    date_of_death: dt.date | None


class HouseholdMemberOut(Schema):
    full_name: str
    relation: str
    birth_date: dt.date | None
    is_you: bool


class EventParticipantOut(Schema):
    full_name: str
    role: str


class CivilEventOut(Schema):
    kind: str
    date: dt.date
    place: str
    act_number: str
    registering_municipality: str
    persons: list[EventParticipantOut]


class RegisterRecordOut(Schema):
    municipality: str = Field(..., description="Slug of the register holding the record.")
    person: PersonOut
    current_address: AddressOut | None
    past_addresses: list[AddressOut]
    household: list[HouseholdMemberOut]
    events: list[CivilEventOut]


class RoleOut(Schema):
    municipality: str
    role: str


class MeOut(Schema):
    kind: str = Field(..., description="citizen or officer")
    name: str
    roles: list[RoleOut] = Field(..., description="An officer's roles, per municipality.")
    record: RegisterRecordOut | None = Field(
        None, description="A citizen's own register record (not logged: it is their own)."
    )


class AccessActorOut(Schema):
    kind: str = Field(..., description="officer, municipality, system or citizen")
    label: str
    role: str
    municipality: str | None


class AccessLogEntryOut(Schema):
    at: dt.datetime
    actor: AccessActorOut
    data: list[str]
    purpose: str
    case_ref: str


class TokenIn(Schema):
    name: FreeText = Field(..., min_length=1, max_length=100)
    days: JsonInt = Field(30, ge=1, le=365)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class IssuedTokenOut(Schema):
    token: str = Field(..., description="The secret: shown once, send it as a bearer token.")
    id: int
    expires_at: dt.datetime


class DemoCitizenOut(Schema):
    national_number: str
    name: str
    age: int | None
    persona: str | None = Field(
        None, description="Set for special personas (minor, bis_number, deceased, ...)."
    )


class DemoOfficerOut(Schema):
    username: str
    name: str
    role: str
    department: str = Field("", description="Whose requests a clerk handles (issue 12).")


class DemoTokenIn(Schema):
    national_number: str | None = None
    officer: str | None = None


class DemoTokenOut(Schema):
    token: str
    kind: str
    expires_at: dt.datetime


# --- Certificates, orders, verification


class CertificateTypeOut(Schema):
    code: str = Field(..., description="residence, household_composition, birth_extract, ...")
    name: str
    fee_cents: int
    currency: str
    fee: str = Field(..., description="The fee as people read it.")
    languages: list[str]
    delivery_channels: list[str]
    requesters: list[str] = Field(..., description="self, household, parent_of_minor, relative")
    instant: bool = Field(..., description="Issued at once when the register holds everything.")
    processing_days: int
    order_url: str


class OrderIn(Schema):
    certificate_type: str = Field(..., max_length=40)
    subject: str = Field(
        ..., max_length=20, description="National number of the person it is about."
    )
    language: str = Field(..., max_length=5)
    delivery: str = Field(..., max_length=10, description="download, email or post")
    purpose: FreeText = Field("", max_length=200)
    email: FreeText = Field("", max_length=254, description="For news, and for delivery by e-mail.")


class TimelineStepOut(Schema):
    at: dt.datetime
    status: str
    text: str = Field(..., description="Plain language, in the caller's language.")
    reason: str


class MessageOut(Schema):
    at: dt.datetime
    author: str = Field(..., description="citizen or officer")
    text: str


class DocumentRefOut(Schema):
    code: str
    status: str
    issued_at: dt.datetime
    download_url: str
    verify_url: str


class OrderOut(Schema):
    tracking_code: str
    status: str
    municipality: str
    certificate_type: str
    language: str
    delivery: str
    purpose: str
    fee_cents: int
    currency: str
    created_at: dt.datetime
    due_at: dt.datetime
    url: str
    timeline: list[TimelineStepOut]
    messages: list[MessageOut]
    document: DocumentRefOut | None


class QueueItemOut(Schema):
    tracking_code: str
    status: str
    certificate_type: str
    created_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    assigned_to: str | None


class BackofficeOrderOut(OrderOut):
    subject: RegisterRecordOut | None = Field(
        ...,
        description="The subject's register data; null for someone only the national "
        "register holds (then `national_subject`).",
    )
    national_subject: dict[str, str] | None = Field(
        None,
        description="What the national register answered about a subject no register here "
        "holds, when the order was placed (names, dates, the death act; no national number).",
    )
    requester: str
    assigned_to: str | None = Field(..., description="The officer who handles it (who acted).")
    overdue: bool
    warnings: list[str] = Field(
        ...,
        description="What the document would show as unknown (a birth act naming no "
        "parent): approving needs confirm_warnings.",
    )


class DecisionIn(Schema):
    decision: str = Field(..., description="approve, reject or request_info")
    reason: FreeText = Field("", max_length=4000, description="Required to reject or ask.")
    confirm_warnings: bool = Field(
        False,
        strict=True,
        description="The officer saw the order's warnings and approves over them "
        "(without it, approving such an order answers 409 confirm_warnings).",
    )


class SignatureOut(Schema):
    name: str = Field(..., description="Who signed: the officer, or the municipality's seal.")
    organisation: str
    role: str = Field(..., description="The signer's role, as the certificate names it.")
    department: str
    signed_at: dt.datetime | None
    reason: str = Field(..., description="What the signature says it is, e.g. the step.")
    seal: bool = Field(..., description="Whether this is the municipality's seal.")
    valid: bool = Field(..., description="Sound, by a certificate the platform trusts.")
    unchanged_since: bool = Field(
        ..., description="Nothing in the file changed after it but later signatures."
    )


class VerificationOut(Schema):
    authentic: bool
    status: str = Field(
        ..., description="valid, revoked, superseded, unknown (no such code) or not_authentic"
    )
    outcome: str = Field(
        ...,
        description="valid, superseded, revoked, unknown_code, unreadable, no_seal, "
        "unknown_sealer, tampered (changed after it was sealed) or unregistered",
    )
    code: str | None
    municipality: str | None = Field(
        ..., description="The issuer, once identified (for a changed copy: who sealed it)."
    )
    municipality_name: str | None
    document_type: str | None
    issued_at: dt.datetime | None
    status_changed_at: dt.datetime | None
    status_reason: str
    summary: dict[str, str] = Field(..., description="Minimal: title, the subject's initials.")
    reasons: list[str] = Field(..., description="Why a file is not authentic.")
    explanation: str = Field(..., description="The outcome in plain words.")
    advice: str = Field(..., description="What to do, in plain words.")
    signatures: list[SignatureOut] = Field(
        default_factory=list,
        description="A decision taken by an approval chain: every officer's signature "
        "and the seal, in signing order, each checked. Empty for a document sealed once.",
    )


class RequestSummaryOut(Schema):
    tracking_code: str
    kind: str = Field(..., description="The case type's code, e.g. certificate_order, petition.")
    kind_name: str = Field(..., description="The kind of request, in the request's language.")
    status: str
    status_name: str = Field(..., description="The status, in the request's language.")
    title: str
    municipality: str
    created_at: dt.datetime
    url: str = Field(..., description="The request's page, as its handler gives it.")


class RequestStepOut(Schema):
    at: dt.datetime
    status: str
    status_name: str
    action: str
    text: str = Field(..., description="What happened, in plain language.")
    reason: str


class RequestDocumentOut(Schema):
    code: str = Field(..., description="The document's verification code.")
    kind: str = Field(
        ..., description="receipt or decision (a service's), else a certificate type's code"
    )
    status: str = Field(..., description="valid, revoked or superseded")
    issued_at: dt.datetime
    url: str = Field(..., description="Where its requester (or an officer) downloads the PDF.")
    verify_url: str


class RequestActionOut(Schema):
    action: str
    name: str
    reason_required: bool


class AttachmentOut(Schema):
    id: uuid.UUID
    question: str = Field(..., description="The form question's name; empty for a message's file.")
    message: bool = Field(..., description="Whether it came with a message of the thread.")
    name: str = Field(..., description="The sender's file name, cleaned.")
    content_type: str = Field(..., description="Read from the content, not the sender's claim.")
    size: int
    sha256: str
    uploaded_at: dt.datetime
    url: str = Field(..., description="Opens it (for the requester, or the officers' address).")


class RequestOut(RequestSummaryOut):
    version: int = Field(..., description="The version of the case type it was made under.")
    due_at: dt.datetime
    closed_at: dt.datetime | None
    overdue: bool
    timeline: list[RequestStepOut]
    messages: list[MessageOut]
    answers: dict[str, Any] | None = Field(
        None, description="A service request's answers (as sent); none for other kinds."
    )
    on_behalf: dict[str, str] | None = Field(
        None, description="{name, ground} when it was filed for someone else."
    )
    documents: list[RequestDocumentOut] = Field(
        ..., description="What the municipality issued for it: a receipt, a decision, …"
    )
    actions: list[RequestActionOut] = Field(
        ..., description="What the caller may do now (POST …/actions)."
    )
    attachments: list[AttachmentOut] = Field(
        default_factory=list,
        description="The request's files: its form's and its messages' (POST …/attachments).",
    )


class RequestStartIn(Schema):
    kind: str = Field(..., max_length=40, description="The kind's code, e.g. housing_information.")
    text: FreeText = Field(..., max_length=4000, description="What you ask.")
    email: FreeText = Field("", max_length=254, description="For news about the request.")


class RequestActionIn(Schema):
    action: str = Field(..., max_length=40)
    reason: FreeText = Field("", max_length=4000, description="Required by some actions.")


# --- Services (issue 12): a municipality's requests defined as data


class FeeOut(Schema):
    amount: float = Field(..., description="0 when the service is free.")
    currency: str = Field(..., description="EUR or KRW; empty when the service is free.")
    label: str = Field(..., description="The fee as people read it, in the request's language.")


class ServiceOut(Schema):
    code: str
    name: str = Field(..., description="In the request's language.")
    version: int = Field(..., description="The current version; a request keeps its own.")
    fee: FeeOut
    processing_days: int = Field(..., description="The statutory time to answer, in days.")
    url: str = Field(..., description="The form's page, for people.")


class ServiceDefinitionOut(Schema):
    """The definition file of the current version (as `GET .../schemas/service-definition`
    describes it), with its name in the request's language, its version and the JSON
    Schema of its answers."""

    code: str
    name: str
    version: int
    names: dict[str, str]
    department: str
    processing_days: int
    audience: str = Field(..., description="residents, adult_residents or anyone")
    workflow: dict[str, Any] | None = Field(
        None, description="Only when the service has a workflow of its own."
    )
    help: dict[str, str] | None = None
    fee: dict[str, Any] | None = Field(None, description="{amount, currency}; none when free.")
    documents: dict[str, Any] | None = None
    form: dict[str, Any]
    on_behalf: dict[str, Any] | None = Field(
        None, description="{grounds}: the grounds on which one may file it for someone else."
    )
    answers_schema: dict[str, Any] = Field(
        ...,
        description="The JSON Schema (2020-12) of `answers`: every constraint the server "
        'enforces. File questions carry "x-eloket-file": true (their files go to POST '
        "/requests/{tracking_code}/attachments); household members "
        '"x-eloket-source": "household" (a reference from GET /me).',
    )


class OnBehalfIn(Schema):
    name: FreeText = Field(..., max_length=200, description="For whom the request is filed.")
    ground: str = Field(
        ..., max_length=20, description="parent, guardian, notary, architect or mandate"
    )


class ServiceRequestIn(Schema):
    answers: dict[str, Any] = Field(
        ..., description="The answers, valid against the service's answers_schema."
    )
    contact_email: FreeText = Field("", max_length=254, description="For news about it.")
    on_behalf: OnBehalfIn | None = Field(
        None, description="When you file it for someone else (if the service allows it)."
    )


class ServiceRequestCreatedOut(Schema):
    tracking_code: str
    status: str
    url: str = Field(..., description="The request in the API (GET /requests/{tracking_code}).")


class BackofficeRequestItemOut(Schema):
    tracking_code: str
    kind: str = Field(..., description="The service's (case type's) code.")
    kind_name: str
    version: int
    status: str
    status_name: str
    title: str
    created_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    assigned_to: str | None = Field(..., description="The officer who handles it.")

    # Read from the case itself, so that a page of the queue is one query (and a count).
    @staticmethod
    def resolve_kind_name(obj: Any) -> str:
        return str(obj.case_type.name())

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.case_type.version)

    @staticmethod
    def resolve_status_name(obj: Any) -> str:
        return str(obj.status_name())

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.display_title)

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.is_overdue)

    @staticmethod
    def resolve_assigned_to(obj: Any) -> str | None:
        return obj.assigned_to.username if obj.assigned_to_id else None


class BackofficeRequestQuery(Schema):
    service: str = Field("", max_length=40, description="A service's code, or empty for all.")
    status: str = Field("", max_length=40, description="A status, or empty for all.")


class BackofficeDecisionIn(Schema):
    decision: Literal["approve", "reject", "request_info"]
    reason: FreeText = Field(
        "", max_length=4000, description="Required to reject or to ask for information."
    )


class BackofficeRequestOut(RequestOut):
    requester: str = Field(..., description="The requester's name.")
    channel: str | None = Field(
        None, description="How a service request came in: online, counter, phone or letter."
    )
    assigned_to: str | None = Field(..., description="The officer who handles it.")
