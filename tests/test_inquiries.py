"""Permits with a public inquiry and objections (issue 13, points 4 to 7): the clerk finds
the application complete and opens the inquiry (the notice goes on the municipality's
public list), anyone logged in with an eID objects during it and gets a sealed receipt,
withdraws while it runs, is refused after it; the inquiry cannot end early; the decision
waits for an answer to every objection, goes up the approval chain, and publishes the
answers with objectors named only when they agreed. The pages and the API."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from conftest import bearer, citizen_user, officer_login_client
from eloket.approvals.services import approval_act
from eloket.cases.services import WrongState, case_act
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import PermissionDenied
from eloket.documents.models import IssuedDocument
from eloket.documents.verify import Outcome, verify_code
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor
from eloket.inquiries.models import Objection, PublicInquiry
from eloket.inquiries.services import objection_answer, objection_submit, objection_withdraw
from eloket.outbox.models import OutboxMessage
from eloket.services.definition import service_file_problems
from eloket.services.services import service_publish, service_request_submit
from test_services_documents import after_commit, pdf_text


def _library(code):
    from eloket.services.library import library_definition

    return library_definition(code)


def permit_definition():
    """The library's building permit (its workflow, inquiry, chain and documents) with a
    form of two questions, so that a test files it without plans."""
    d = json.loads(json.dumps(_library("building_permit")))
    d["form"] = {
        "steps": [
            {
                "name": "works",
                "title": {"en": "The works"},
                "fields": [
                    {"name": "description", "type": "long_text", "label": {"en": "What"}},
                    {"name": "parcel", "type": "text", "label": {"en": "Parcel"}},
                    {"name": "phone", "type": "phone", "label": {"en": "Phone"}},
                ],
            }
        ]
    }
    d["code"] = "small_permit"
    return d


def _officer(make_officer, gent, username, first, last, department, role="clerk"):
    user = make_officer(username, gent, role=role)
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    OfficerRole.objects.filter(user=user).update(department=department)
    return officer_actor(OfficerRole.objects.get(user=user, municipality=gent))


@pytest.fixture
def people(gent, family, make_officer):
    return {
        "clerk": _officer(make_officer, gent, "pieter", "Pieter", "Claeys", "urban_planning"),
        "head": _officer(
            make_officer, gent, "karel", "Karel", "Vandenberghe", "urban_planning", "head"
        ),
        "admin": _officer(make_officer, gent, "ilse", "Ilse", "Martens", "", "alderman"),
        "events": _officer(make_officer, gent, "sofie.e", "Sofie", "De Smet", "events"),
        "jan": citizen_actor_of(citizen_user(family["Jan"])),
        "sofie": citizen_actor_of(citizen_user(family["Sofie"])),
        "pieter": citizen_actor_of(citizen_user(family["Pieter"])),
    }


@pytest.fixture
def application(gent, seals, people):
    service_publish(
        actor=Actor.system("test", gent), municipality=gent, definition=permit_definition()
    )
    with after_commit():
        case, _new = service_request_submit(
            actor=people["jan"],
            municipality=gent,
            code="small_permit",
            answers={
                "description": "A veranda at the back",
                "parcel": "44021A0123",
                "phone": "+32 9 123 45 67",
            },
        )
    return case


def _open(gent, case, people):
    with after_commit():
        case_act(
            actor=people["clerk"],
            municipality=gent,
            case=case,
            action="open_inquiry",
            reason="A veranda of 12 m² at the back of Veldstraat 1.",
        )
    case.refresh_from_db()
    return PublicInquiry.objects.get(case=case)


def _end_period(inquiry):
    """The test clock: the inquiry's 30 days are over."""
    past = timezone.now() - dt.timedelta(days=31)
    PublicInquiry.objects.filter(pk=inquiry.pk).update(
        starts_at=past, ends_at=timezone.now() - dt.timedelta(minutes=1)
    )
    inquiry.refresh_from_db()


def test_the_library_permits_have_the_procedure():
    for code in ("building_permit", "environmental_permit"):
        d = _library(code)
        assert service_file_problems(d) == [], code
        assert d["public_inquiry"]["days"] == 30
        assert [s["name"] for s in d["approval_chain"]["steps"]] == ["department_head", "college"]
    broken = permit_definition()
    broken["workflow"]["transitions"] = [
        t for t in broken["workflow"]["transitions"] if t["action"] != "end_inquiry"
    ]
    assert "/public_inquiry" in [p for p, _m in service_file_problems(broken)]


def test_the_whole_procedure(gent, family, application, people):
    case = application
    inquiry = _open(gent, case, people)
    assert case.status == "public_inquiry"
    assert (inquiry.ends_at - inquiry.starts_at).days == 30
    assert inquiry.description.startswith("A veranda")
    # A neighbour objects and gets a sealed receipt that /verify/ knows; it is no
    # document of the applicant's request.
    objection = objection_submit(
        actor=people["sofie"],
        municipality=gent,
        inquiry=inquiry,
        text="The veranda takes the light of my garden.",
        named=True,
    )
    receipt = IssuedDocument.objects.get(code=objection.receipt_code)
    assert receipt.kind == "objection_receipt" and receipt.case is None
    assert verify_code(receipt.code).outcome == Outcome.VALID
    assert "takes the light" in pdf_text(receipt)
    with pytest.raises(WrongState):  # one standing objection per person
        objection_submit(actor=people["sofie"], municipality=gent, inquiry=inquiry, text="Again.")
    # Another objects anonymously, withdraws, and objects again.
    first = objection_submit(
        actor=people["pieter"], municipality=gent, inquiry=inquiry, text="Too close."
    )
    objection_withdraw(actor=people["pieter"], municipality=gent, objection=first)
    second = objection_submit(
        actor=people["pieter"], municipality=gent, inquiry=inquiry, text="Too close to my wall."
    )
    with pytest.raises(PermissionDenied):  # not theirs to withdraw
        objection_withdraw(actor=people["sofie"], municipality=gent, objection=second)
    # The inquiry cannot end early, and nothing is decided while it runs.
    with pytest.raises(WrongState):
        case_act(actor=people["clerk"], municipality=gent, case=case, action="end_inquiry")
    _end_period(inquiry)
    with pytest.raises(WrongState):
        objection_submit(actor=people["jan"], municipality=gent, inquiry=inquiry, text="Late.")
    with pytest.raises(WrongState):
        objection_withdraw(actor=people["pieter"], municipality=gent, objection=second)
    case_act(actor=people["clerk"], municipality=gent, case=case, action="end_inquiry")
    case.refresh_from_db()
    assert case.status == "advice"
    # The decision waits for an answer to each standing objection.
    with pytest.raises(WrongState, match="Answer every objection"):
        case_act(actor=people["clerk"], municipality=gent, case=case, action="approve")
    with pytest.raises(PermissionDenied):  # another department answers nothing here
        objection_answer(
            actor=people["events"], municipality=gent, objection=objection, answer="No."
        )
    with pytest.raises(WrongState):  # a withdrawn objection needs no answer
        objection_answer(actor=people["clerk"], municipality=gent, objection=first, answer="-")
    objection_answer(
        actor=people["clerk"],
        municipality=gent,
        objection=objection,
        answer="The veranda is 2.5 m high: the garden keeps its sun.",
    )
    objection_answer(
        actor=people["clerk"],
        municipality=gent,
        objection=second,
        answer="It stands 3 m from the boundary, as the rules ask.",
    )
    for key in ("sofie", "pieter"):
        User.objects.filter(pk=people[key].user_id).update(email=f"{key}@example.org")
    with after_commit():
        case_act(actor=people["clerk"], municipality=gent, case=case, action="approve")
        approval_act(actor=people["head"], municipality=gent, case=case, action="approve")
        approval_act(actor=people["admin"], municipality=gent, case=case, action="approve")
    case.refresh_from_db()
    assert case.status == "approved"
    decision = IssuedDocument.objects.get(case=case, kind="service_decision")
    text = pdf_text(decision)
    # Sofie agreed to be named; Pieter did not. Every answer is in it.
    assert family["Sofie"].full_name in text and family["Pieter"].full_name not in text
    assert "An objector" in text
    assert "garden keeps its sun" in text and "3 m from the boundary" in text
    assert "Too close to my wall." in text and "Too close." not in text.replace(
        "Too close to my wall.", ""
    )
    # Published: anyone reads it and its PDF, without the applicant's phone number.
    assert "123 45 67" not in text and "44021A0123" in text
    client = Client()
    listing = client.get("/gent/decisions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"/gent/decisions/{decision.code}.pdf" in listing
    # With its appeal period: 30 days from the day it was issued.
    from django.utils import formats, translation

    with translation.override("en"):
        last_day = formats.date_format(
            timezone.localdate(decision.issued_at) + dt.timedelta(days=30), "DATE_FORMAT"
        )
    assert f"An appeal may be lodged until {last_day}." in listing
    assert client.get(f"/gent/decisions/{decision.code}.pdf").content == bytes(decision.pdf)
    assert client.get(f"/brugge/decisions/{decision.code}.pdf").status_code == 404
    api = client.get("/api/v1/m/gent/decisions").json()
    assert [(d["id"], d["outcome"]) for d in api] == [(decision.code, "approved")]
    assert (
        api[0]["appeal_until"]
        == (timezone.localdate(decision.issued_at) + dt.timedelta(days=30)).isoformat()
    )
    # The objectors are told, with the decision's verification page.
    told = OutboxMessage.objects.filter(ref=f"inquiry:{inquiry.pk}:decided")
    assert sorted(m.payload["to"] for m in told) == [["pieter@example.org"], ["sofie@example.org"]]
    assert all(decision.code in m.payload["body"] for m in told)
    with pytest.raises(WrongState):  # decided: the answers stand as published
        objection_answer(actor=people["clerk"], municipality=gent, objection=second, answer="x")


def test_refusals_change_nothing(gent, brugge, application, people, make_officer):
    case = application
    with pytest.raises(WrongState):  # no inquiry yet: nothing to end
        case_act(actor=people["clerk"], municipality=gent, case=case, action="end_inquiry")
    with pytest.raises(PermissionDenied):  # only the department opens it
        case_act(
            actor=people["events"],
            municipality=gent,
            case=case,
            action="open_inquiry",
            reason="x",
        )
    with pytest.raises(ApplicationError):  # the notice needs words
        case_act(actor=people["clerk"], municipality=gent, case=case, action="open_inquiry")
    assert not PublicInquiry.objects.exists()
    inquiry = _open(gent, case, people)
    for bad in ("", "x" * 4001, "hidden\u202etext"):
        with pytest.raises(ApplicationError):
            objection_submit(actor=people["sofie"], municipality=gent, inquiry=inquiry, text=bad)
    with pytest.raises(PermissionDenied):  # officers do not object as officers
        objection_submit(actor=people["clerk"], municipality=gent, inquiry=inquiry, text="No.")
    with pytest.raises(ApplicationError):  # another municipality's inquiry
        objection_submit(actor=people["sofie"], municipality=brugge, inquiry=inquiry, text="No.")
    assert not Objection.objects.exists()


def test_pages_notice_object_receipt_and_back_office(client, gent, family, application, people):
    case = application
    inquiry = _open(gent, case, people)
    listing = client.get("/gent/inquiries/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "Building permit" in listing
        and inquiry.case.display_code in listing
        and f"/gent/inquiries/{inquiry.pk}" in listing
    )
    notice = client.get(f"/gent/inquiries/{inquiry.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Veldstraat 1" in notice and "Log in with your eID to object" in notice
    assert family["Jan"].national_id not in notice
    client.force_login(citizen_user(family["Sofie"]))
    answer = client.post(
        f"/gent/inquiries/{inquiry.pk}/act",
        {"action": "object", "text": "My garden loses its light.", "named": "no"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 302
    page = client.get(f"/gent/inquiries/{inquiry.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You objected on" in page and "Withdraw my objection" in page
    receipt = client.get(f"/gent/inquiries/{inquiry.pk}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    # Bad input: a clear message, nothing stored.
    client.force_login(citizen_user(family["Pieter"]))
    client.post(
        f"/gent/inquiries/{inquiry.pk}/act", {"action": "object", "text": "  "}, follow=True
    )
    assert Objection.objects.count() == 1
    assert client.get(f"/gent/inquiries/{inquiry.pk}/receipt.pdf").status_code == 404
    # Other municipalities do not have it.
    assert client.get(f"/brugge/inquiries/{inquiry.pk}").status_code == 404
    # The clerk sees the objection and answers it from the request's page.
    client.logout()
    officer_login_client(client, User.objects.get(username="pieter"))
    page = client.get(
        f"/gent/backoffice/requests/{case.tracking_code}", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "My garden loses its light." in page and "Objections (1)" in page
    objection = Objection.objects.get()
    client.post(
        f"/gent/backoffice/requests/{case.tracking_code}/act",
        {"action": "answer_objection", "objection": objection.pk, "answer": "It keeps its sun."},
    )
    objection.refresh_from_db()
    assert objection.answer == "It keeps its sun." and objection.answered_by_label


def test_api(client, gent, brugge, family, application, people):
    case = application
    inquiry = _open(gent, case, people)
    listed = client.get("/api/v1/m/gent/inquiries").json()
    assert [i["id"] for i in listed] == [inquiry.pk] and listed[0]["open"] is True
    assert client.get("/api/v1/m/brugge/inquiries").json() == []
    assert client.get("/api/v1/m/gent/decisions").json() == []  # nothing decided yet
    assert client.get(f"/api/v1/m/brugge/inquiries/{inquiry.pk}").status_code == 404
    assert client.get("/api/v1/m/gent/inquiries/99999999999999").status_code == 422
    user = citizen_user(family["Sofie"])
    made = client.post(
        f"/api/v1/m/gent/inquiries/{inquiry.pk}/objections",
        {"text": "Too high.", "named": False},
        content_type="application/json",
        **bearer(user),
    )
    assert made.status_code == 201, made.content
    code = made.json()["receipt_code"]
    assert client.get(f"/api/v1/verify/{code}").json()["outcome"] == "valid"
    again = client.post(
        f"/api/v1/m/gent/inquiries/{inquiry.pk}/objections",
        {"text": "Again."},
        content_type="application/json",
        **bearer(user),
    )
    assert again.status_code == 409
    anonymous = client.post(
        f"/api/v1/m/gent/inquiries/{inquiry.pk}/objections",
        {"text": "Who am I?"},
        content_type="application/json",
    )
    assert anonymous.status_code == 401
    assert client.get(f"/api/v1/m/gent/inquiries/{inquiry.pk}").json()["objections"] == 1
