"""The services API (issue 12, point 8): the list, a definition with its answers' JSON
Schema, making a request (idempotent), bad input (point 9) answered in the user's
language with nothing stored, a request of any kind with its answers and documents,
the citizen's answer, and the back office's queue, claim and decisions, isolated between
departments and municipalities."""

import copy
import datetime as dt
import hashlib

import jsonschema
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import bearer, citizen_user, person_record
from eloket.cases.models import Case, CaseMessage
from eloket.common.actors import Actor
from eloket.documents.models import IssuedDocument
from eloket.identity.models import OfficerRole
from eloket.register.models import AccessLogEntry
from eloket.services.definition import service_file_schema
from eloket.services.form import Form
from eloket.services.models import ServiceRequest
from eloket.services.services import service_publish, service_set_active
from test_services_core import EVERY_TYPE, GOOD, answers_valid_against_the_schema

JSON = "application/json"


@pytest.fixture
def published(gent):
    return service_publish(
        actor=Actor.system("test", gent), municipality=gent, definition=EVERY_TYPE
    )


@pytest.fixture
def jan(family):
    return citizen_user(family["Jan"])


def clerk(make_officer, name, municipality, department, role="clerk"):
    user = make_officer(name, municipality, role=role)
    OfficerRole.objects.filter(user=user).update(department=department)
    return user


def submit(client, user, answers, key="", slug="gent", code="every_type", lang="en", **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/v1/m/{slug}/services/{code}/requests",
        {"answers": answers, **body},
        content_type=JSON,
        HTTP_ACCEPT_LANGUAGE=lang,
        **headers,
        **bearer(user),
    )


# --- The list, a definition, the definition files' schema


def test_the_list_names_each_offered_service_in_the_users_language(client, gent, brugge, published):
    answer = client.get("/api/v1/m/gent/services", HTTP_ACCEPT_LANGUAGE="nl")
    assert answer.status_code == 200
    (service,) = answer.json()
    assert service["code"] == "every_type" and service["name"] == "Elk type"
    assert service["version"] == 1 and service["processing_days"] == 10
    assert service["fee"]["amount"] == 12.5 and service["fee"]["currency"] == "EUR"
    assert "12,50" in service["fee"]["label"]
    assert service["url"].endswith("/gent/services/every_type")
    # Another municipality offers nothing of Gent's; a disabled service is not listed.
    assert client.get("/api/v1/m/brugge/services").json() == []
    service_set_active(
        actor=Actor.system("t", gent), municipality=gent, code="every_type", active=False
    )
    assert client.get("/api/v1/m/gent/services").json() == []
    assert client.get("/api/v1/m/atlantis/services").status_code == 404


def test_a_definition_comes_with_its_answers_schema(client, gent, brugge, published):
    body = client.get("/api/v1/m/gent/services/every_type", HTTP_ACCEPT_LANGUAGE="nl").json()
    assert body["name"] == "Elk type" and body["version"] == 1
    assert body["form"] == EVERY_TYPE["form"] and body["fee"] == EVERY_TYPE["fee"]
    assert body["on_behalf"] == {"grounds": ["parent", "notary"]}
    schema = body["answers_schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["plans"]["x-eloket-file"] is True
    # What is left once the API's own fields are taken away is a definition file.
    definition = {k: v for k, v in body.items() if k not in ("name", "version", "answers_schema")}
    jsonschema.Draft202012Validator(service_file_schema()).validate(definition)
    assert client.get("/api/v1/m/brugge/services/every_type").status_code == 404
    assert client.get("/api/v1/m/gent/services/nothing").status_code == 404
    service_set_active(
        actor=Actor.system("t", gent), municipality=gent, code="every_type", active=False
    )
    assert client.get("/api/v1/m/gent/services/every_type").status_code == 404


def test_the_definition_files_schema_is_published(client, db):
    answer = client.get("/api/v1/schemas/service-definition.json")
    assert answer.status_code == 200 and answer.json() == service_file_schema()
    jsonschema.Draft202012Validator.check_schema(answer.json())
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/m/{slug}/services",
        "/api/v1/m/{slug}/services/{code}",
        "/api/v1/m/{slug}/services/{code}/requests",
        "/api/v1/schemas/service-definition.json",
        "/api/v1/requests/{tracking_code}/messages",
        "/api/v1/requests/{tracking_code}/documents/{document_code}",
        "/api/v1/m/{slug}/backoffice/requests",
        "/api/v1/m/{slug}/backoffice/requests/{tracking_code}",
        "/api/v1/m/{slug}/backoffice/requests/{tracking_code}/claim",
        "/api/v1/m/{slug}/backoffice/requests/{tracking_code}/decision",
    ):
        assert path in paths, path


# --- Making a request


def test_a_request_is_made_once_per_idempotency_key(client, gent, jan, published):
    made = submit(client, jan, GOOD, key="k-1")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "submitted" and body["tracking_code"]
    again = submit(client, jan, GOOD, key="k-1")
    assert again.status_code == 200 and again.json() == body
    other = submit(client, jan, {**GOOD, "count": 4}, key="k-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1
    record = ServiceRequest.objects.get()
    assert record.answers == GOOD and record.case.tracking_code == body["tracking_code"]


def test_a_request_for_someone_else_records_for_whom(client, gent, jan, published):
    made = submit(
        client,
        jan,
        GOOD,
        contact_email="jan@example.org",
        on_behalf={"name": "Lotte Peeters", "ground": "parent"},
    )
    assert made.status_code == 201, made.content
    opened = client.get(f"/api/v1/requests/{made.json()['tracking_code']}", **bearer(jan)).json()
    assert opened["on_behalf"] == {"name": "Lotte Peeters", "ground": "parent"}
    refused = submit(client, jan, GOOD, on_behalf={"name": "X", "ground": "architect"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_ground"


BAD_ANSWERS = [
    # (what is wrong, the answers, the question named, words of the Dutch message)
    ("missing required", {k: v for k, v in GOOD.items() if k != "count"}, "count", "Vul"),
    ("out of bounds", {**GOOD, "count": 11}, "count", "10 of minder"),
    ("choice not offered", {**GOOD, "colour": "green"}, "colour", ""),
    ("unknown question", {**GOOD, "nonsense": 1}, "", ""),
    ("condition-hidden answer", {**GOOD, "rain_plan": "tent"}, "rain_plan", ""),
    ("file question as text", {**GOOD, "plans": "plans.pdf"}, "plans", ""),
]


@pytest.mark.parametrize(
    ("what", "answers", "name", "words"), BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS]
)
def test_bad_answers_are_named_in_the_users_language_and_change_nothing(
    client, gent, jan, published, what, answers, name, words
):
    answer = submit(client, jan, answers, key="bad", lang="nl")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["code"] == "invalid_answers"
    assert name in body["details"]["fields"], body
    message = body["details"]["fields"][name]
    assert words in message
    english = submit(client, jan, answers, lang="en").json()["details"]["fields"][name]
    assert message != english  # the Dutch message, not the English one
    assert not Case.objects.exists() and not ServiceRequest.objects.exists()


def test_a_service_not_offered_here_or_not_for_the_applicant_is_refused(
    client, gent, brugge, family, jan, published
):
    # Another municipality's service does not exist there.
    other = submit(client, jan, GOOD, slug="brugge", lang="nl")
    assert other.status_code == 404 and "bestaat hier niet" in other.json()["message"]
    # A disabled service.
    service_set_active(
        actor=Actor.system("t", gent), municipality=gent, code="every_type", active=False
    )
    disabled = submit(client, jan, GOOD, lang="nl")
    assert disabled.status_code == 404
    service_set_active(
        actor=Actor.system("t", gent), municipality=gent, code="every_type", active=True
    )
    # Adults only: Lotte is a minor.
    service_publish(
        actor=Actor.system("t", gent),
        municipality=gent,
        definition={**EVERY_TYPE, "audience": "adult_residents"},
    )
    minor = submit(client, citizen_user(family["Lotte"]), GOOD, lang="nl")
    assert minor.status_code == 403 and minor.json()["code"] == "adults_only"
    assert "18" in minor.json()["message"]
    # An officer is no applicant.
    assert not Case.objects.exists()


def test_a_visitor_may_not_apply_for_a_service_for_residents(
    client, gent, brugge, add_people, published
):
    add_people(brugge, person_record(dt.date(1970, 1, 1), 51, first="Bart", last="Bruggeling"))
    from eloket.register.models import Person

    bart = citizen_user(Person.objects.get(first_names="Bart"))
    answer = submit(client, bart, GOOD, lang="nl")
    assert answer.status_code == 403 and answer.json()["code"] == "residents_only"
    assert not Case.objects.exists()


def test_making_a_request_needs_a_citizen(client, gent, published, make_officer):
    anonymous = client.post(
        "/api/v1/m/gent/services/every_type/requests", {"answers": GOOD}, content_type=JSON
    )
    assert anonymous.status_code == 401
    officer = clerk(make_officer, "gent.general", gent, "general")
    assert submit(client, officer, GOOD).status_code == 403
    assert not Case.objects.exists()


# --- The request, of any kind: answers, documents, the citizen's answer


def _document(case, kind):
    pdf = b"%PDF-1.7 test " + kind.encode()
    return IssuedDocument.objects.create(
        municipality=case.municipality,
        code=hashlib.sha256(kind.encode()).hexdigest()[:12].upper().replace("0", "B"),
        case=case,
        kind=kind,
        language="en",
        issued_at=timezone.now(),
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        attested_digest="",
    )


def test_a_service_request_shows_its_answers_and_documents(client, gent, family, jan, published):
    code = submit(client, jan, GOOD).json()["tracking_code"]
    case = Case.objects.get(tracking_code=code)
    receipt = _document(case, "service_receipt")
    body = client.get(f"/api/v1/requests/{code}", **bearer(jan)).json()
    assert body["status"] == "submitted" and body["answers"] == GOOD
    assert body["timeline"] and body["kind"] == "every_type"
    (document,) = body["documents"]
    assert document["kind"] == "receipt" and document["code"] == receipt.display_code
    pdf = client.get(document["url"].removeprefix("http://testserver"), **bearer(jan))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == bytes(receipt.pdf)
    # Nobody else downloads it; a code of another request's document is not found.
    sofie = citizen_user(family["Sofie"])
    assert (
        client.get(document["url"].removeprefix("http://testserver"), **bearer(sofie)).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/requests/{code}/documents/BBBBBBBBBBBB", **bearer(jan)).status_code
        == 404
    )
    # "My requests" lists it with the other kinds.
    mine = client.get("/api/v1/me/requests", **bearer(jan)).json()
    assert [row["tracking_code"] for row in mine["results"]] == [code]
    assert mine["results"][0]["kind"] == "every_type"


def test_a_decision_document_about_a_person_is_in_their_access_log_when_an_officer_opens_it(
    client, gent, family, jan, published, make_officer
):
    code = submit(client, jan, GOOD).json()["tracking_code"]
    case = Case.objects.get(tracking_code=code)
    decision = _document(case, "service_decision")
    IssuedDocument.objects.filter(pk=decision.pk).update(subject=family["Jan"])
    officer = clerk(make_officer, "gent.general", gent, "general", role="head")
    body = client.get(f"/api/v1/requests/{code}", **bearer(officer)).json()
    assert body["documents"][0]["kind"] == "decision"
    assert client.get(body["documents"][0]["url"], **bearer(officer)).status_code == 200
    assert AccessLogEntry.objects.filter(person=family["Jan"], case_ref=f"case:{code}").count() == 1
    # The citizen opening their own is not logged.
    assert client.get(body["documents"][0]["url"], **bearer(jan)).status_code == 200
    assert AccessLogEntry.objects.filter(person=family["Jan"]).count() == 1


# --- The back office


@pytest.fixture
def queue(client, gent, brugge, family, jan, published, make_officer):
    """Jan's request to the general department; clerks of it, of events, and of Brugge."""
    code = submit(client, jan, GOOD).json()["tracking_code"]
    return {
        "code": code,
        "general": clerk(make_officer, "gent.general", gent, "general"),
        "events": clerk(make_officer, "gent.events", gent, "events"),
        "brugge": clerk(make_officer, "brugge.general", brugge, "general"),
    }


def test_the_queue_is_the_departments_own(client, queue):
    url = "/api/v1/m/gent/backoffice/requests"
    mine = client.get(url, **bearer(queue["general"])).json()
    assert mine["count"] == 1
    (row,) = mine["results"]
    assert row["tracking_code"] == queue["code"] and row["kind"] == "every_type"
    assert row["status"] == "submitted" and row["assigned_to"] is None and row["version"] == 1
    assert (
        client.get(f"{url}?service=every_type&status=submitted", **bearer(queue["general"])).json()[
            "count"
        ]
        == 1
    )
    assert client.get(f"{url}?status=approved", **bearer(queue["general"])).json()["count"] == 0
    assert client.get(f"{url}?service=other", **bearer(queue["general"])).json()["count"] == 0
    # Another department's clerk sees nothing of it; another municipality's is refused.
    assert client.get(url, **bearer(queue["events"])).json() == {"count": 0, "results": []}
    assert client.get(url, **bearer(queue["brugge"])).status_code == 403
    assert (
        client.get("/api/v1/m/brugge/backoffice/requests", **bearer(queue["brugge"])).json()[
            "count"
        ]
        == 0
    )
    # Nor opens it, claims it or decides on it.
    detail = f"{url}/{queue['code']}"
    for officer, status in ((queue["events"], 404), (queue["brugge"], 403)):
        assert client.get(detail, **bearer(officer)).status_code == status
        assert client.post(f"{detail}/claim", **bearer(officer)).status_code == status
        decided = client.post(
            f"{detail}/decision", {"decision": "approve"}, content_type=JSON, **bearer(officer)
        )
        assert decided.status_code == status
    assert (
        client.get(
            f"/api/v1/m/brugge/backoffice/requests/{queue['code']}", **bearer(queue["brugge"])
        ).status_code
        == 404
    )
    assert Case.objects.get(tracking_code=queue["code"]).status == "submitted"
    # A citizen has no back office.
    assert client.get(url, **bearer(citizen_user_of_case(queue["code"]))).status_code == 403


def citizen_user_of_case(code):
    return Case.objects.get(tracking_code=code).requester


def test_claim_ask_answer_approve(client, queue, jan):
    officer = bearer(queue["general"])
    detail = f"/api/v1/m/gent/backoffice/requests/{queue['code']}"
    opened = client.get(detail, **officer).json()
    assert opened["answers"] == GOOD and opened["assigned_to"] is None
    assert opened["requester"] == jan.get_full_name() and opened["channel"] == "online"
    claimed = client.post(f"{detail}/claim", **officer)
    assert claimed.status_code == 200 and claimed.json()["assigned_to"] == "gent.general"
    # Asking without a reason: a clear error, nothing changes.
    asked = client.post(
        f"{detail}/decision",
        {"decision": "request_info"},
        content_type=JSON,
        HTTP_ACCEPT_LANGUAGE="nl",
        **officer,
    )
    assert asked.status_code == 400 and asked.json()["code"] == "reason_required"
    assert "Zeg waarom" in asked.json()["message"]
    refused = client.post(
        f"{detail}/decision", {"decision": "reject"}, content_type=JSON, **officer
    )
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    unknown = client.post(f"{detail}/decision", {"decision": "maybe"}, content_type=JSON, **officer)
    assert unknown.status_code == 422
    assert Case.objects.get(tracking_code=queue["code"]).status == "submitted"
    asked = client.post(
        f"{detail}/decision",
        {"decision": "request_info", "reason": "Which tent?"},
        content_type=JSON,
        **officer,
    )
    assert asked.status_code == 200 and asked.json()["status"] == "needs_information"
    # The citizen sees it waits for them, and answers: back to the queue.
    mine = client.get(f"/api/v1/requests/{queue['code']}", **bearer(jan)).json()
    assert mine["status"] == "needs_information"
    assert mine["timeline"][-1]["reason"] == "Which tent?"
    answered = client.post(
        f"/api/v1/requests/{queue['code']}/messages",
        {"text": "The big one."},
        content_type=JSON,
        **bearer(jan),
    )
    assert answered.status_code == 201, answered.content
    assert answered.json()["status"] == "in_review"
    assert answered.json()["messages"][-1]["text"] == "The big one."
    # A message while the municipality has the turn is only a message.
    again = client.post(
        f"/api/v1/requests/{queue['code']}/messages",
        {"text": "Thanks."},
        content_type=JSON,
        **bearer(jan),
    )
    assert again.status_code == 201 and again.json()["status"] == "in_review"
    approved = client.post(
        f"{detail}/decision", {"decision": "approve"}, content_type=JSON, **officer
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert (
        client.get("/api/v1/m/gent/backoffice/requests?status=approved", **officer).json()["count"]
        == 1
    )
    # Closed: no more messages, and no second decision.
    closed = client.post(
        f"/api/v1/requests/{queue['code']}/messages",
        {"text": "Hello?"},
        content_type=JSON,
        **bearer(jan),
    )
    assert closed.status_code == 409
    twice = client.post(
        f"{detail}/decision", {"decision": "reject", "reason": "No"}, content_type=JSON, **officer
    )
    assert twice.status_code == 409 and twice.json()["code"] == "wrong_state"


def test_a_message_that_cannot_be_stored_does_not_move_the_request(client, queue, jan):
    officer = bearer(queue["general"])
    detail = f"/api/v1/m/gent/backoffice/requests/{queue['code']}"
    client.post(
        f"{detail}/decision",
        {"decision": "request_info", "reason": "Why?"},
        content_type=JSON,
        **officer,
    )
    empty = client.post(
        f"/api/v1/requests/{queue['code']}/messages",
        {"text": "   "},
        content_type=JSON,
        HTTP_ACCEPT_LANGUAGE="nl",
        **bearer(jan),
    )
    assert empty.status_code == 400 and empty.json()["code"] == "empty_message"
    assert Case.objects.get(tracking_code=queue["code"]).status == "needs_information"
    assert not CaseMessage.objects.filter(author="citizen").exists()


# --- The schema served is the check made


def _corrupt(draw, form, answers):
    """A change the server must refuse, or none."""
    choice = draw(st.sampled_from(["none", "unknown", "bounds", "choice", "missing"]))
    if choice == "unknown":
        return {**answers, "not_asked": "x"}
    if choice == "bounds":
        return {**answers, "count": draw(st.sampled_from([0, 11, 2.5]))}
    if choice == "choice":
        return {**answers, "colour": "green"}
    if choice == "missing":
        return {k: v for k, v in answers.items() if k != "when"}
    return answers


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_served_answers_schema_accepts_exactly_what_post_accepts(client, jan, published, data):
    definition = client.get("/api/v1/m/gent/services/every_type").json()
    schema = definition["answers_schema"]
    form = Form(copy.deepcopy(definition["form"]))
    answers = _corrupt(data.draw, form, data.draw(answers_valid_against_the_schema(form)))
    cls = jsonschema.Draft202012Validator
    valid = cls(schema, format_checker=cls.FORMAT_CHECKER).is_valid(answers)
    before = Case.objects.count()
    answer = submit(client, jan, answers)
    assert (answer.status_code == 201) == valid, (answers, answer.content)
    assert Case.objects.count() == before + (1 if valid else 0)


def test_a_contact_address_that_is_no_email_address_is_refused(client, gent, jan, published):
    answer = submit(client, jan, GOOD, contact_email="not an address", lang="nl")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_email"
    assert not Case.objects.exists()


def test_answers_agree_with_the_openapi_schema(client, queue, jan):
    """What the new operations answer is what their schema says (schemathesis, on demo
    data, mostly meets 404s here)."""
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]

    def check(body, name):
        jsonschema.validate(body, {"components": schema["components"], **components[name]})

    officer = bearer(queue["general"])
    detail = f"/api/v1/m/gent/backoffice/requests/{queue['code']}"
    check(client.get(detail, **officer).json(), "BackofficeRequestOut")
    check(client.get(f"/api/v1/requests/{queue['code']}", **bearer(jan)).json(), "RequestOut")
    for row in client.get("/api/v1/m/gent/backoffice/requests", **officer).json()["results"]:
        check(row, "BackofficeRequestItemOut")
    for row in client.get("/api/v1/m/gent/services").json():
        check(row, "ServiceOut")
    check(client.get("/api/v1/m/gent/services/every_type").json(), "ServiceDefinitionOut")
    # Free text says which characters are refused, as elsewhere in the API.
    from eloket.common.text import FREE_TEXT_PATTERN

    for name, field in [
        ("ServiceRequestIn", "contact_email"),
        ("OnBehalfIn", "name"),
        ("BackofficeDecisionIn", "reason"),
        ("MessageIn", "text"),
    ]:
        assert components[name]["properties"][field]["pattern"] == FREE_TEXT_PATTERN, name


def test_nan_and_infinity_are_not_json(client, jan, published):
    """Python's JSON reader takes them; the API does not (nothing is stored, 400)."""
    from eloket.cases.models import Case

    before = Case.objects.count()
    import json

    from test_services_core import GOOD

    answers = json.dumps({**GOOD, "extras": ["tent"]})[:-1] + ', "tent_size": Infinity}'
    body = '{"answers": ' + answers + "}"
    response = client.post(
        "/api/v1/m/gent/services/every_type/requests",
        data=body,
        content_type="application/json",
        **bearer(jan),
    )
    assert response.status_code == 400
    assert Case.objects.count() == before
