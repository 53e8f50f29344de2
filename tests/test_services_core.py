"""Services as data (issue 12): the definition file and its checks, every field type and
condition validated by the server, the answers' JSON Schema as the check itself,
versioning, drafts and submission."""

import json
from pathlib import Path

import jsonschema
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import citizen_user
from eloket.cases.models import Case
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import PermissionDenied
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor
from eloket.services.definition import service_file_problems, service_file_schema
from eloket.services.form import NUMBER_LIMIT, Form
from eloket.services.handler import form_of
from eloket.services.models import Draft, ServiceRequest
from eloket.services.selectors import service_file
from eloket.services.services import (
    InvalidAnswers,
    InvalidDefinition,
    draft_save_step,
    draft_start,
    draft_submit,
    service_publish,
    service_request_file_for,
    service_request_submit,
    service_set_active,
)

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "eloket" / "services" / "library"


def _label(text):
    return {"en": text}


def field(name, type_, **extra):
    return {"name": name, "type": type_, "label": _label(name.replace("_", " ")), **extra}


EVERY_TYPE = {
    "code": "every_type",
    "names": {"en": "Every type", "nl": "Elk type"},
    "department": "general",
    "processing_days": 10,
    "audience": "residents",
    "fee": {"amount": 12.5, "currency": "EUR"},
    "on_behalf": {"grounds": ["parent", "notary"]},
    "form": {
        "steps": [
            {
                "name": "first",
                "title": _label("First"),
                "fields": [
                    field("title", "text", required=True, max_length=20, pattern="^[A-Z]"),
                    field("story", "long_text", min_length=5),
                    field("count", "number", required=True, integer=True, min=1, max=10),
                    field("share", "number", min=0.5, max=2.5),
                    field("when", "date", required=True),
                    field(
                        "colour",
                        "choice",
                        required=True,
                        options=[
                            {"value": "red", "label": _label("Red")},
                            {"value": "blue", "label": _label("Blue")},
                        ],
                    ),
                    field(
                        "extras",
                        "choice",
                        multiple=True,
                        options=[
                            {"value": "tent", "label": _label("Tent")},
                            {"value": "stage", "label": _label("Stage")},
                        ],
                    ),
                    field("outdoor", "yes_no", required=True),
                    field("mail", "email"),
                    field("tel", "phone"),
                ],
            },
            {
                "name": "second",
                "title": _label("Second"),
                "fields": [
                    field("home", "address", prefill="address"),
                    field("site", "location", coordinates=True),
                    field("member", "household_member"),
                    field("plans", "file", accept=["application/pdf"], max_files=2),
                    field("agree", "consent", required=True),
                    field(
                        "tent_size",
                        "number",
                        required=True,
                        condition={"field": "extras", "equals": "tent"},
                    ),
                ],
            },
            {
                "name": "outside",
                "title": _label("Outside"),
                "condition": {"field": "outdoor", "equals": True},
                "fields": [field("rain_plan", "text", required=True)],
            },
        ]
    },
}

GOOD = {
    "title": "Party",
    "count": 3,
    "when": "2027-06-21",
    "colour": "red",
    "outdoor": False,
    "agree": True,
}


@pytest.fixture
def form():
    assert service_file_problems(EVERY_TYPE) == []
    return Form(EVERY_TYPE["form"])


def problems(form, answers, **kwargs):
    return form.answers_problems(answers, **kwargs)


def test_good_answers_pass(form):
    assert problems(form, GOOD) == {}
    full = {
        **GOOD,
        "story": "A long story",
        "share": 1.5,
        "extras": ["tent"],
        "tent_size": 40,
        "mail": "jan@example.org",
        "tel": "+32 9 210 10 10",
        "home": {"street": "Veldstraat", "number": "1", "postcode": "9000", "city": "Gent"},
        "site": {
            "address": {"street": "Kouter", "number": "2", "postcode": "9000", "city": "Gent"},
            "lat": 51.05,
            "lon": 3.72,
        },
        "outdoor": True,
        "rain_plan": "tent",
    }
    assert problems(form, full) == {}


@pytest.mark.parametrize(
    ("change", "name", "words"),
    [
        ({"title": ""}, "title", "Fill in"),
        ({"title": "lower case"}, "title", "form asked for"),
        ({"title": "A" * 21}, "title", "at most 20"),
        ({"title": "A\u202etxt"}, "title", "invisible control"),
        ({"story": "abc"}, "story", "at least 5"),
        ({"count": 0}, "count", "1 or more"),
        ({"count": 11}, "count", "10 or less"),
        ({"count": 2.5}, "count", "whole number"),
        ({"count": "3"}, "count", "whole number"),
        ({"share": 3}, "share", "2.5 or less"),
        ({"when": "2027-02-30"}, "when", "real date"),
        ({"when": "21/06/2027"}, "when", "real date"),
        ({"colour": "green"}, "colour", "answers offered"),
        ({"extras": ["tent", "moon"]}, "extras", "answers offered"),
        ({"outdoor": "yes"}, "outdoor", "yes or no"),
        ({"mail": "not-an-address"}, "mail", "e-mail address"),
        ({"tel": "call me"}, "tel", "phone number"),
        ({"home": {"street": "Veldstraat"}}, "home", "street, number"),
        (
            {
                "site": {
                    "address": {"street": "K", "number": "2", "postcode": "9000", "city": "G"},
                    "lat": 200,
                }
            },
            "site",
            "street, number",
        ),
        ({"agree": False}, "agree", "agree"),
        ({"member": "Jan"}, "member", "household"),
        ({"plans": "plans.pdf"}, "plans", "attachments"),
    ],
)
def test_each_wrong_answer_is_named_at_its_field(form, change, name, words):
    found = problems(form, {**GOOD, **change})
    assert name in found, found
    assert words in found[name]


def test_missing_required_and_unknown_questions(form):
    found = problems(form, {"colour": "red", "nonsense": 1})
    assert {"title", "count", "when", "outdoor", "agree"} <= set(found)
    assert "nonsense" in found[""]


def test_conditions_show_and_hide(form):
    # A step shown by an answer: its required field is then required.
    assert "rain_plan" in problems(form, {**GOOD, "outdoor": True})
    # Hidden: an answer to it is refused, like a question the form does not ask.
    found = problems(form, {**GOOD, "rain_plan": "tent"})
    assert "not asked" in found["rain_plan"]
    # A field shown by a multiple choice containing the value.
    assert "tent_size" in problems(form, {**GOOD, "extras": ["stage", "tent"]})
    assert "not asked" in problems(form, {**GOOD, "extras": ["stage"], "tent_size": 3})["tent_size"]


def test_messages_in_the_readers_language(form):
    with translation.override("nl"):
        found = problems(form, {**GOOD, "count": 0})
    assert found["count"] == "Vul 1 of meer in."


def test_household_members_are_checked_against_the_household(form):
    assert "member" in problems(form, {**GOOD, "member": "12"}, household={"7"})
    assert problems(form, {**GOOD, "member": "7"}, household={"7"}) == {}


def test_the_schema_marks_files_and_household_members(form):
    schema = form.answers_schema()
    assert schema["properties"]["plans"]["x-eloket-file"] is True
    assert schema["properties"]["member"]["x-eloket-source"] == "household"
    assert schema["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(schema)


def _value_strategy(f):
    t = f.type
    if t in ("text", "long_text"):
        low, high = max(1, f.min_length or 1), min(f.max_length or 200, 40)
        tail = st.text(alphabet="abcdéf gh", min_size=low - 1, max_size=high - 1)
        return st.builds(lambda first, rest: first + rest, st.sampled_from("ABZ"), tail)
    if t == "number":
        if f.integer:
            return st.integers(min_value=int(f.minimum), max_value=int(f.maximum))
        low = f.minimum if f.minimum is not None else -NUMBER_LIMIT
        high = f.maximum if f.maximum is not None else NUMBER_LIMIT
        return st.floats(min_value=low, max_value=high, allow_nan=False)
    if t == "date":
        return st.dates().map(lambda d: d.isoformat())
    if t == "choice":
        values = [o.value for o in f.options]
        if f.multiple:
            return st.lists(st.sampled_from(values), min_size=1, unique=True)
        return st.sampled_from(values)
    if t in ("yes_no",):
        return st.booleans()
    if t == "consent":
        return st.just(True)
    if t == "email":
        return st.from_regex(r"\A[a-z]{1,8}@[a-z]{1,8}\.(be|org)\Z")
    if t == "phone":
        return st.from_regex(r"\A\+32 9 [0-9]{3} [0-9]{2} [0-9]{2}\Z")
    address = st.fixed_dictionaries(
        {
            "street": st.sampled_from(["Veldstraat", "Rue Neuve"]),
            "number": st.from_regex(r"\A[1-9][0-9]{0,2}\Z"),
            "postcode": st.from_regex(r"\A[1-9][0-9]{3}\Z"),
            "city": st.sampled_from(["Gent", "Bruges"]),
        }
    )
    if t == "address":
        return address
    if t == "location":
        return st.fixed_dictionaries(
            {"address": address},
            optional={
                "lat": st.floats(min_value=-90, max_value=90),
                "lon": st.floats(min_value=-180, max_value=180),
            },
        )
    return st.nothing()


@st.composite
def answers_valid_against_the_schema(draw, form):
    answers = {}
    for step in form.steps:
        for f in step.fields:
            if f.is_file or f.type == "household_member" or not f.shown(answers):
                continue
            if f.required or draw(st.booleans()):
                answers[f.name] = draw(_value_strategy(f))
    return answers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_instance_valid_against_the_schema_is_accepted(data):
    """The API's promise: an instance valid against `answers_schema` (file questions
    aside) is accepted, and the schema refuses what the server refuses."""
    form = Form(EVERY_TYPE["form"])
    answers = data.draw(answers_valid_against_the_schema(form))
    cls = jsonschema.Draft202012Validator
    assert cls(form.answers_schema(), format_checker=cls.FORMAT_CHECKER).is_valid(answers)
    assert form.answers_problems(answers) == {}


# --- Definition files


def test_every_shipped_definition_validates_and_round_trips(gent):
    files = sorted(LIBRARY.glob("*.json"))
    assert files
    actor = Actor.system("test", gent)
    for path in files:
        raw = json.loads(path.read_text())
        assert service_file_problems(raw) == [], path.name
        published = service_publish(actor=actor, municipality=gent, definition=raw)
        exported = service_file(municipality=gent, case_type=published)
        assert service_file_problems(exported) == []
        again = service_publish(actor=actor, municipality=gent, definition=exported)
        assert again.version == published.version + 1
        assert service_file(municipality=gent, case_type=again) == exported


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"code": "Bad Code"}, "/code"),
        ({"fee": {"amount": -1, "currency": "EUR"}}, "/fee/amount"),
        ({"colour": "blue"}, "/"),
    ],
)
def test_a_bad_definition_is_refused_with_the_path(gent, change, path):
    raw = {**EVERY_TYPE, **change}
    found = service_file_problems(raw)
    assert found and found[0][0] == path
    with pytest.raises(InvalidDefinition) as refused:
        service_publish(actor=Actor.system("test", gent), municipality=gent, definition=raw)
    assert refused.value.details["problems"][0]["path"] == path
    assert not Case.objects.exists()


def test_a_condition_must_name_an_earlier_step():
    raw = json.loads(json.dumps(EVERY_TYPE))
    raw["form"]["steps"][0]["fields"][0]["condition"] = {"field": "outdoor", "equals": True}
    found = service_file_problems(raw)
    assert found[0][0] == "/form/steps/0/fields/0/condition/field"
    raw = json.loads(json.dumps(EVERY_TYPE))
    raw["form"]["steps"][2]["condition"] = {"field": "colour", "equals": "green"}
    assert service_file_problems(raw)[0][0] == "/form/steps/2/condition"
    raw = json.loads(json.dumps(EVERY_TYPE))
    raw["form"]["steps"][1]["fields"][0]["max_files"] = 3
    assert service_file_problems(raw)[0][0] == "/form/steps/1/fields/0/max_files"


def test_the_published_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(service_file_schema())


# --- Submitting, versions, drafts


@pytest.fixture
def published(gent):
    return service_publish(
        actor=Actor.system("test", gent), municipality=gent, definition=EVERY_TYPE
    )


def test_submit_records_answers_fee_and_is_idempotent(gent, family, published):
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    case, new = service_request_submit(
        actor=jan, municipality=gent, code="every_type", answers=GOOD, idempotency_key="k1"
    )
    assert new and case.status == "submitted" and case.kind == "every_type"
    record = ServiceRequest.objects.get(case=case)
    assert (
        record.answers == GOOD and str(record.fee_amount) == "12.50" and record.fee_status == "due"
    )
    again, new = service_request_submit(
        actor=jan, municipality=gent, code="every_type", answers=GOOD, idempotency_key="k1"
    )
    assert again.pk == case.pk and not new
    assert Case.objects.count() == 1


def test_bad_answers_change_nothing(gent, family, published):
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    with pytest.raises(InvalidAnswers) as refused:
        service_request_submit(
            actor=jan, municipality=gent, code="every_type", answers={**GOOD, "count": 99}
        )
    assert "count" in refused.value.details["fields"]
    assert not Case.objects.exists() and not ServiceRequest.objects.exists()


def test_household_member_is_one_of_the_applicants_household(gent, family, published):
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    lotte, pieter = family["Lotte"], family["Pieter"]
    with pytest.raises(InvalidAnswers):
        service_request_submit(
            actor=jan,
            municipality=gent,
            code="every_type",
            answers={**GOOD, "member": str(pieter.pk)},
        )
    case, _new = service_request_submit(
        actor=jan, municipality=gent, code="every_type", answers={**GOOD, "member": str(lotte.pk)}
    )
    assert ServiceRequest.objects.get(case=case).labels == {"member": lotte.full_name}


def test_who_may_apply(gent, brugge, family, published):
    pieter = citizen_actor_of(citizen_user(family["Pieter"]))
    # Another municipality's service does not exist there.
    with pytest.raises(NotFound):
        service_request_submit(actor=pieter, municipality=brugge, code="every_type", answers=GOOD)
    # A disabled service is not offered.
    service_set_active(
        actor=Actor.system("t", gent), municipality=gent, code="every_type", active=False
    )
    with pytest.raises(NotFound):
        service_request_submit(actor=pieter, municipality=gent, code="every_type", answers=GOOD)
    service_set_active(
        actor=Actor.system("t", gent), municipality=gent, code="every_type", active=True
    )
    # A resident of age only: Lotte is a minor.
    service_publish(
        actor=Actor.system("t", gent),
        municipality=gent,
        definition={**EVERY_TYPE, "audience": "adult_residents"},
    )
    lotte = citizen_actor_of(citizen_user(family["Lotte"]))
    with pytest.raises(PermissionDenied) as refused:
        service_request_submit(actor=lotte, municipality=gent, code="every_type", answers=GOOD)
    assert refused.value.code == "adults_only"
    assert not Case.objects.exists()


def test_a_request_keeps_its_version(gent, family, published):
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    case, _new = service_request_submit(
        actor=jan, municipality=gent, code="every_type", answers=GOOD
    )
    changed = json.loads(json.dumps(EVERY_TYPE))
    changed["form"]["steps"][0]["fields"][0]["label"] = {"en": "Name of it"}
    changed["form"]["steps"][0]["fields"].append(field("new_question", "text", required=True))
    v2 = service_publish(actor=Actor.system("t", gent), municipality=gent, definition=changed)
    assert v2.version == 2
    case = Case.objects.get(pk=case.pk)
    assert case.case_type.version == 1
    assert form_of(case.case_type).fields["title"].label("en") == "title"
    assert "new_question" not in form_of(case.case_type).fields
    # New requests follow version 2.
    with pytest.raises(InvalidAnswers):
        service_request_submit(actor=jan, municipality=gent, code="every_type", answers=GOOD)


def test_on_behalf_needs_a_ground_the_service_offers(gent, family, published):
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    with pytest.raises(ApplicationError) as refused:
        service_request_submit(
            actor=jan,
            municipality=gent,
            code="every_type",
            answers=GOOD,
            on_behalf={"name": "Client", "ground": "architect"},
        )
    assert refused.value.code == "invalid_ground"
    case, _new = service_request_submit(
        actor=jan,
        municipality=gent,
        code="every_type",
        answers=GOOD,
        on_behalf={"name": "Lotte Peeters", "ground": "parent"},
    )
    record = ServiceRequest.objects.get(case=case)
    assert (record.on_behalf_name, record.on_behalf_ground) == ("Lotte Peeters", "parent")


def test_draft_steps_back_and_forth_then_submit_once(gent, family, published):
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    draft = draft_start(actor=jan, municipality=gent, code="every_type")
    first = {"title": "Party", "count": "3", "when": "2027-06-21", "colour": "red", "outdoor": "no"}
    found = draft_save_step(
        actor=jan, municipality=gent, draft=draft, step="first", values={**first, "count": "x"}
    )
    assert "count" in found and "first" not in draft.done
    assert draft.answers["title"] == "Party"  # kept while the step is fixed
    assert (
        draft_save_step(actor=jan, municipality=gent, draft=draft, step="first", values=first) == {}
    )
    with pytest.raises(ApplicationError) as refused:
        draft_submit(actor=jan, municipality=gent, draft=draft)
    assert refused.value.code == "step_incomplete"
    assert (
        draft_save_step(
            actor=jan, municipality=gent, draft=draft, step="second", values={"agree": "yes"}
        )
        == {}
    )
    case, new = draft_submit(actor=jan, municipality=gent, draft=draft)
    assert new and ServiceRequest.objects.get(case=case).answers["count"] == 3
    assert not Draft.objects.exists()
    # The same draft submitted again (a second click): the same request.
    again, new = draft_submit(actor=jan, municipality=gent, draft=draft)
    assert again.pk == case.pk and not new


def test_another_citizen_cannot_touch_a_draft(gent, family, published):
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    sofie = citizen_actor_of(citizen_user(family["Sofie"]))
    draft = draft_start(actor=jan, municipality=gent, code="every_type")
    with pytest.raises(NotFound):
        draft_save_step(actor=sofie, municipality=gent, draft=draft, step="first", values={})
    with pytest.raises(NotFound):
        draft_submit(actor=sofie, municipality=gent, draft=draft)


def test_an_officer_files_a_request_at_the_counter(gent, family, published, make_officer):
    jan_user = citizen_user(family["Jan"])
    clerk = make_officer("clerk", gent)
    OfficerRole.objects.filter(user=clerk).update(department="general")
    actor = officer_actor(OfficerRole.objects.get(user=clerk))
    case = service_request_file_for(
        actor=actor,
        municipality=gent,
        code="every_type",
        citizen_user_id=jan_user.pk,
        answers=GOOD,
        channel="counter",
    )
    record = ServiceRequest.objects.get(case=case)
    assert case.requester_id == jan_user.pk
    assert (record.channel, record.filed_by_id) == ("counter", clerk.pk)
    # Another department's clerk may not.
    other = make_officer("other", gent)
    OfficerRole.objects.filter(user=other).update(department="events")
    with pytest.raises(PermissionDenied):
        service_request_file_for(
            actor=officer_actor(OfficerRole.objects.get(user=other)),
            municipality=gent,
            code="every_type",
            citizen_user_id=jan_user.pk,
            answers=GOOD,
            channel="counter",
        )


def test_drafts_expire_after_the_configured_days(gent, family, published, settings):
    import datetime as dt

    from django.utils import timezone

    from eloket.common.schedule import periodic_jobs

    settings.ELOKET_DRAFT_DAYS = 2
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    draft = draft_start(actor=jan, municipality=gent, code="every_type")
    assert draft.expires_at - timezone.now() < dt.timedelta(days=2, minutes=1)
    job = periodic_jobs["service_drafts_expire"]
    assert job.run(timezone.now() + dt.timedelta(days=1)) == 0
    assert job.run(timezone.now() + dt.timedelta(days=3)) == 1
    assert not Draft.objects.exists()


def test_an_expired_drafts_files_go_with_it(
    gent, family, published, settings, tmp_path, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from eloket.attachments.models import Attachment
    from eloket.attachments.services import attachment_store
    from test_attachments import pdf_bytes, stored_files, upload

    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    draft = draft_start(actor=jan, municipality=gent, code="every_type")
    rules = form_of(draft.case_type).file_fields()[0]
    from eloket.common.files import FileRules

    attachment_store(
        actor=jan,
        municipality=gent,
        upload=upload("plans.pdf", pdf_bytes()),
        rules=FileRules(accept=rules.accept, max_bytes=10 * 2**20, max_files=2),
        draft_token=str(draft.token),
        question="plans",
    )
    assert stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        from eloket.services.services import drafts_expire

        assert drafts_expire(now=timezone.now() + dt.timedelta(days=31)) == 1
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_a_pattern_that_backtracks_without_end_refuses_in_time():
    """An administrator's pattern runs on citizens' answers on a shared server: with
    Python's `re`, `^(a|aa)+$` on 40 a's and a b takes longer than anyone waits."""
    import time

    raw = {
        "steps": [
            {
                "name": "only",
                "title": _label("Only"),
                "fields": [field("code", "text", required=True, pattern="^(a|aa)+$")],
            }
        ]
    }
    form = Form(raw)
    assert form.answers_problems({"code": "aaaa"}) == {}
    begun = time.perf_counter()
    found = form.answers_problems({"code": "a" * 40 + "b"})
    assert time.perf_counter() - begun < 2
    assert "form asked for" in found["code"]
