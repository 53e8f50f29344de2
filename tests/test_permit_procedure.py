"""The parts of a permit's procedure around its public inquiry (issue 13, point 4): the
completeness check (incomplete with what is missing and a day to complete by, seen on the
applicant's timeline in their language; past that day the clerk closes it as
inadmissible; the inquiry opens only on a complete application)."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from eloket.cases.display import history_text
from eloket.cases.services import WrongState, case_act, case_reply
from eloket.common.errors import ApplicationError
from eloket.common.permissions import PermissionDenied
from eloket.inquiries.models import CompletenessRequest, PublicInquiry
from eloket.inquiries.services import completeness_incomplete
from test_inquiries import application, people  # noqa: F401 (fixtures)


def _incomplete(gent, case, people, **kwargs):  # noqa: F811
    return completeness_incomplete(
        actor=people["clerk"],
        municipality=gent,
        case=case,
        missing="The plans signed by the architect.",
        **kwargs,
    )


def test_incomplete_with_a_deadline_then_completed(gent, application, people):  # noqa: F811
    case = application
    asked = _incomplete(gent, case, people)
    case.refresh_from_db()
    assert case.status == "needs_information"
    assert asked.deadline == timezone.localdate() + dt.timedelta(days=30)
    # The inquiry waits for a complete application.
    with pytest.raises(WrongState):
        case_act(
            actor=people["clerk"],
            municipality=gent,
            case=case,
            action="open_inquiry",
            reason="A veranda.",
        )
    assert not PublicInquiry.objects.filter(case=case).exists()
    # The applicant reads what is missing and the day, in their language.
    step = case.history.order_by("-at", "-id").first()
    assert step.reason == "The plans signed by the architect."
    with translation.override("nl"):
        text = history_text(step, case)
    day = asked.deadline
    assert "onvolledig" in text and str(day.day) in text and str(day.year) in text
    with translation.override("en"):
        assert "please send what is missing by" in history_text(step, case)
    # Closing before the day is refused; the applicant completes it.
    with pytest.raises(WrongState, match="has until"):
        case_act(actor=people["clerk"], municipality=gent, case=case, action="close_inadmissible")
    case_reply(actor=people["jan"], municipality=gent, case=case, text="The plans are attached.")
    case.refresh_from_db()
    assert case.status == "in_review"
    case_act(
        actor=people["clerk"],
        municipality=gent,
        case=case,
        action="open_inquiry",
        reason="A veranda.",
    )
    case.refresh_from_db()
    assert case.status == "public_inquiry"


def test_past_the_deadline_the_clerk_closes_it_as_inadmissible(gent, application, people):  # noqa: F811
    case = application
    asked = _incomplete(gent, case, people, deadline=timezone.localdate() + dt.timedelta(days=5))
    assert asked.deadline == timezone.localdate() + dt.timedelta(days=5)
    with pytest.raises(WrongState):
        case_act(actor=people["clerk"], municipality=gent, case=case, action="close_inadmissible")
    # The test clock: the five days are over.
    CompletenessRequest.objects.filter(pk=asked.pk).update(
        deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    with pytest.raises(PermissionDenied):  # the applicant closes nothing
        case_act(actor=people["jan"], municipality=gent, case=case, action="close_inadmissible")
    case_act(actor=people["clerk"], municipality=gent, case=case, action="close_inadmissible")
    case.refresh_from_db()
    assert case.status == "inadmissible" and case.closed_at is not None


def test_bad_completeness_input_changes_nothing(gent, application, people):  # noqa: F811
    case = application
    for deadline in (timezone.localdate(), timezone.localdate() + dt.timedelta(days=181)):
        with pytest.raises(ApplicationError):
            _incomplete(gent, case, people, deadline=deadline)
    with pytest.raises(ApplicationError):
        completeness_incomplete(actor=people["clerk"], municipality=gent, case=case, missing="  ")
    with pytest.raises(PermissionDenied):  # another department
        completeness_incomplete(
            actor=people["events"], municipality=gent, case=case, missing="Plans."
        )
    case.refresh_from_db()
    assert case.status == "submitted"
    assert not CompletenessRequest.objects.filter(case=case).exists()
    # Through the generic decision (the API's request_info): the default day.
    case_act(
        actor=people["clerk"],
        municipality=gent,
        case=case,
        action="request_info",
        reason="The parcel's number.",
    )
    assert CompletenessRequest.objects.get(case=case).missing == "The parcel's number."


# --- Neighbours


def _place(gent, people, lat=None, lon=None, street="Veldstraat", number="3", within=100):  # noqa: F811
    """A permit application with a location answer (an address, coordinates or not)."""
    import json

    from eloket.common.actors import Actor
    from eloket.services.services import service_publish, service_request_submit
    from test_inquiries import permit_definition
    from test_services_documents import after_commit

    d = permit_definition()
    d["public_inquiry"]["neighbours_within_m"] = within
    d["form"]["steps"][0]["fields"].append(
        {"name": "location", "type": "location", "coordinates": True, "label": {"en": "Where"}}
    )
    d = json.loads(json.dumps(d))
    service_publish(actor=Actor.system("test", gent), municipality=gent, definition=d)
    place = {"address": {"street": street, "number": number, "postcode": "9000", "city": "Gent"}}
    if lat is not None:
        place |= {"lat": lat, "lon": lon}
    with after_commit():
        case, _new = service_request_submit(
            actor=people["jan"],
            municipality=gent,
            code="small_permit",
            answers={"description": "A veranda", "parcel": "44021A0123", "location": place},
        )
    return case


def _coordinates(family):
    """Jan, Sofie and Lotte at Veldstraat 1; Pieter at Korenmarkt 1, 80 m north."""
    from eloket.register.models import Address

    Address.objects.filter(street="Veldstraat").update(lat=51.05395, lon=3.72175)
    Address.objects.filter(street="Korenmarkt").update(lat=51.05467, lon=3.72175)


def test_opening_the_inquiry_tells_the_neighbours(gent, family, people, settings):  # noqa: F811
    from eloket.inquiries.models import NeighbourNotice
    from eloket.inquiries.services import neighbour_letters
    from eloket.outbox.models import OutboxMessage
    from eloket.register.models import AccessLogEntry
    from test_inquiries import _open

    _coordinates(family)
    sofie = family["Sofie"]
    user = people["sofie"]
    from django.contrib.auth.models import User

    from eloket.identity.models import Citizen

    User.objects.filter(pk=user.user_id).update(email="sofie@example.org")
    Citizen.objects.filter(user_id=user.user_id).update(preferred_language="fr")
    # 40 m south of Veldstraat 1: the family is within 100 m, Pieter (120 m) is not.
    case = _place(gent, people, lat=51.05359, lon=3.72175)
    inquiry = _open(gent, case, people)
    told = {n.name: n for n in NeighbourNotice.objects.filter(inquiry=inquiry)}
    # Jan, the applicant, is not told of his own application.
    assert set(told) == {"Sofie Claes", "Lotte Peeters"}
    assert told["Sofie Claes"].channel == "email" and told["Lotte Peeters"].channel == "letter"
    assert told["Lotte Peeters"].street_line == "Veldstraat 1"
    assert told["Lotte Peeters"].distance_m == 40
    # Sofie's e-mail, in her language, links to the notice.
    mail = OutboxMessage.objects.get(ref=f"inquiry:{inquiry.pk}:neighbour")
    assert mail.payload["to"] == ["sofie@example.org"]
    assert "Enquête publique" in mail.payload["subject"]
    assert f"/gent/inquiries/{inquiry.pk}" in mail.payload["body"]
    # Each resident read is in their access log.
    logged = AccessLogEntry.objects.filter(case_ref=f"inquiry:{inquiry.pk}")
    assert {e.person_id for e in logged} == {family[n].pk for n in ("Jan", "Sofie", "Lotte")}
    assert sofie.pk in {e.person_id for e in logged}
    # The letter batch: one page per neighbour told by post.
    pdf = neighbour_letters(actor=people["clerk"], municipality=gent, inquiry=inquiry)
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    pages = [page.get_textpage().get_text_range() for page in document]
    assert len(pages) == 1
    assert "Veldstraat 1" in pages[0] and "Lotte Peeters" in pages[0] and "Sofie" not in pages[0]
    assert f"/gent/inquiries/{inquiry.pk}" in pages[0].replace("\r\n", "").replace("\n", "")
    with pytest.raises(PermissionDenied):
        neighbour_letters(actor=people["events"], municipality=gent, inquiry=inquiry)


def test_the_location_placed_by_the_register(gent, family, people):  # noqa: F811
    """Without coordinates, the application's address is placed by the register's
    addresses (Korenmarkt 3 lies by Korenmarkt 1): Pieter is told, Sofie and Lotte 80 m
    away too (Jan applied); a distance of 0 tells no one."""
    from eloket.inquiries.models import NeighbourNotice
    from test_inquiries import _open

    _coordinates(family)
    case = _place(gent, people, street="Korenmarkt", number="3")
    inquiry = _open(gent, case, people)
    assert set(NeighbourNotice.objects.filter(inquiry=inquiry).values_list("name", flat=True)) == {
        "Pieter Wouters",
        "Sofie Claes",
        "Lotte Peeters",
    }
    # A version of the service whose definition says 0 m tells nobody.
    second = _place(gent, people, street="Korenmarkt", number="5", within=0)
    assert second.case_type.options["public_inquiry"]["neighbours_within_m"] == 0
    quiet = _open(gent, second, people)
    assert not NeighbourNotice.objects.filter(inquiry=quiet).exists()


# --- Advice, grouped objections, the appeal period


def test_advice_is_recorded_before_the_decision(gent, application, people):  # noqa: F811
    from eloket.inquiries.models import Advice
    from eloket.inquiries.services import advice_record
    from test_inquiries import _open

    case = application
    with pytest.raises(WrongState):  # not before the completeness check
        advice_record(
            actor=people["clerk"],
            municipality=gent,
            case=case,
            adviser="Fire brigade",
            outcome="favourable",
            text="No remark.",
        )
    _open(gent, case, people)
    advice = advice_record(
        actor=people["clerk"],
        municipality=gent,
        case=case,
        adviser="Fire brigade Gent",
        outcome="conditional",
        text="A second exit at the back.",
        given_on=timezone.localdate() - dt.timedelta(days=2),
    )
    assert advice.get_outcome_display() == "favourable on conditions"
    for bad in (
        {"outcome": "maybe"},
        {"adviser": " "},
        {"given_on": timezone.localdate() + dt.timedelta(days=1)},
    ):
        with pytest.raises(ApplicationError):
            advice_record(
                **{
                    "actor": people["clerk"],
                    "municipality": gent,
                    "case": case,
                    "adviser": "Heritage agency",
                    "outcome": "favourable",
                    "text": "Fine.",
                    **bad,
                }
            )
    with pytest.raises(PermissionDenied):
        advice_record(
            actor=people["events"],
            municipality=gent,
            case=case,
            adviser="Heritage agency",
            outcome="favourable",
            text="Fine.",
        )
    assert list(Advice.objects.filter(case=case)) == [advice]


def test_objections_are_grouped_and_answered_together(gent, application, people):  # noqa: F811
    from eloket.inquiries.selectors import objections_grouped
    from eloket.inquiries.services import (
        objection_group,
        objection_submit,
        objections_answer_group,
    )
    from test_inquiries import _open

    inquiry = _open(gent, application, people)
    same = "Too high  for the street."
    a = objection_submit(actor=people["sofie"], municipality=gent, inquiry=inquiry, text=same)
    b = objection_submit(
        actor=people["pieter"], municipality=gent, inquiry=inquiry, text="too high for the street."
    )
    c = objection_submit(
        actor=people["jan"], municipality=gent, inquiry=inquiry, text="It blocks my light."
    )
    groups = objections_grouped(municipality=gent, inquiry=inquiry)
    assert [(label, [o.pk for o in g]) for label, g in groups] == [
        ("", [a.pk, b.pk]),
        ("", [c.pk]),
    ]
    objection_group(actor=people["clerk"], municipality=gent, objection=c, group="Light")
    objection_group(actor=people["clerk"], municipality=gent, objection=a, group="  Light ")
    groups = objections_grouped(municipality=gent, inquiry=inquiry)
    assert sorted((label, sorted(o.pk for o in g)) for label, g in groups) == [
        ("", [b.pk]),
        ("Light", sorted([a.pk, c.pk])),
    ]
    with pytest.raises(PermissionDenied):
        objection_group(actor=people["events"], municipality=gent, objection=b, group="X")
    light = next(g for label, g in groups if label == "Light")
    assert (
        objections_answer_group(
            actor=people["clerk"], municipality=gent, objections=light, answer="The light stays."
        )
        == 2
    )
    a.refresh_from_db()
    c.refresh_from_db()
    b.refresh_from_db()
    assert a.answer == c.answer == "The light stays." and b.answer == ""


def test_the_appeal_period_of_a_published_decision(gent):
    """A published decision says until when it may be appealed (the service's
    `appeal_days` after it was issued)."""
    from types import SimpleNamespace

    from eloket.inquiries.selectors import appeal_ends

    issued = timezone.now() - dt.timedelta(days=3)
    decision = SimpleNamespace(
        issued_at=issued,
        case=SimpleNamespace(
            case_type=SimpleNamespace(options={"public_inquiry": {"appeal_days": 30}})
        ),
    )
    assert appeal_ends(municipality=gent, decision=decision) == timezone.localdate(
        issued
    ) + dt.timedelta(days=30)
    decision.case.case_type.options = {"public_inquiry": {}}
    assert appeal_ends(municipality=gent, decision=decision) == timezone.localdate(
        issued
    ) + dt.timedelta(days=30)


# --- Files with an objection; documents on the notice


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    return tmp_path / "attachments"


def test_an_objection_with_files_and_the_notice_documents(
    gent,
    family,
    application,  # noqa: F811
    people,  # noqa: F811
    private_storage,
    make_officer,
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from conftest import citizen_user, officer_login_client
    from eloket.attachments.checks import FileTypeRefused
    from eloket.attachments.services import attachments_store
    from eloket.common.files import MB, PDF, FileRules
    from eloket.inquiries.models import ObjectionFile
    from eloket.inquiries.services import notice_documents_set, objection_submit
    from test_attachments import pdf_bytes, png_bytes
    from test_inquiries import _open

    case = application
    plan = attachments_store(
        actor=people["jan"],
        municipality=gent,
        uploads=[SimpleUploadedFile("site-plan.pdf", pdf_bytes())],
        rules=FileRules(accept=(PDF,), max_bytes=MB, max_files=2),
        case=case,
        question="plans",
    )[0]
    inquiry = _open(gent, case, people)
    # A file that is not what it says is refused, and nothing is kept.
    with pytest.raises(FileTypeRefused):
        objection_submit(
            actor=people["sofie"],
            municipality=gent,
            inquiry=inquiry,
            text="Too high.",
            files=[SimpleUploadedFile("photo.png", b"MZ\x90\x00 not an image")],
        )
    assert not ObjectionFile.objects.exists() and not inquiry.objections.exists()
    # Through the notice page: text, a photo and consent to be named.
    sofie = Client()
    sofie.force_login(citizen_user(family["Sofie"]))
    sent = sofie.post(
        f"/gent/inquiries/{inquiry.pk}/act",
        {
            "action": "object",
            "text": "The veranda is too high.",
            "named": "yes",
            "files": [SimpleUploadedFile("garden.png", png_bytes())],
        },
    )
    assert sent.status_code == 302
    objection = inquiry.objections.get()
    stored = objection.files.get()
    assert (stored.name, stored.content_type) == ("garden.png", "image/png")
    # The attachments' sweep of files that no attachment names leaves it alone.
    from eloket.attachments.services import attachments_cleanup

    attachments_cleanup(
        actor=people["clerk"],
        municipality=gent,
        now=timezone.now() + dt.timedelta(days=400),
    )
    assert stored.file.storage.exists(stored.file.name)
    # The sealed receipt names the file.
    from eloket.documents.models import IssuedDocument
    from test_services_documents import pdf_text

    assert "garden.png" in pdf_text(IssuedDocument.objects.get(code=objection.receipt_code))
    # The officers of the department open it; anyone else finds nothing.
    clerk = officer_login_client(Client(), User_of(people["clerk"]))
    page = clerk.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    url = f"/gent/backoffice/requests/{case.tracking_code}/objection-files/{stored.public_id}"
    assert url in page
    assert b"".join(clerk.get(url).streaming_content) == png_bytes()
    events = officer_login_client(Client(), User_of(people["events"]))
    assert events.get(url).status_code == 404
    # The municipality puts the site plan on the notice: anyone downloads it.
    notice = f"/gent/inquiries/{inquiry.pk}"
    assert "site-plan.pdf" not in Client().get(notice).content.decode()
    clerk.post(
        f"/gent/backoffice/requests/{case.tracking_code}/act",
        {"action": "notice_documents", "public": [str(plan.public_id)]},
    )
    shown = Client().get(notice).content.decode()
    assert "site-plan.pdf" in shown
    listed = Client().get(f"/api/v1/m/gent/inquiries/{inquiry.pk}").json()["documents"]
    assert [d["name"] for d in listed] == ["site-plan.pdf"]
    assert listed[0]["url"].endswith(f"{notice}/documents/{plan.public_id}")
    got = Client().get(f"{notice}/documents/{plan.public_id}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == pdf_bytes()
    assert got["X-Content-Type-Options"] == "nosniff"
    # Not a file of this request, and taken off again.
    with pytest.raises(ApplicationError):
        notice_documents_set(
            actor=people["clerk"],
            municipality=gent,
            inquiry=inquiry,
            public_ids=[str(stored.public_id)],
        )
    notice_documents_set(actor=people["clerk"], municipality=gent, inquiry=inquiry, public_ids=[])
    assert Client().get(f"{notice}/documents/{plan.public_id}").status_code == 404


def User_of(actor):
    from django.contrib.auth.models import User

    return User.objects.get(pk=actor.user_id)


def test_the_decision_lists_the_advice(gent, application, people):  # noqa: F811
    """The decision document (as its approvers read and sign it) lists the advice."""
    from eloket.approvals.selectors import draft_document_of
    from eloket.cases.services import case_act
    from eloket.inquiries.services import advice_record
    from test_inquiries import _end_period, _open
    from test_services_documents import after_commit

    case = application
    inquiry = _open(gent, case, people)
    advice_record(
        actor=people["clerk"],
        municipality=gent,
        case=case,
        adviser="Fire brigade Gent",
        outcome="conditional",
        text="A second exit at the back.",
    )
    _end_period(inquiry)
    case_act(actor=people["clerk"], municipality=gent, case=case, action="end_inquiry")
    with after_commit():
        case_act(actor=people["clerk"], municipality=gent, case=case, action="approve")
    found = draft_document_of(municipality=gent, case=case)
    assert found is not None
    import pypdfium2

    text = "\n".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(found[1]))
    assert "Fire brigade Gent" in text and "A second exit at the back." in text


def test_the_clerks_page_asks_for_what_is_missing_by_a_day(gent, application, people):  # noqa: F811
    from django.test import Client

    from conftest import officer_login_client

    case = application
    clerk = officer_login_client(Client(HTTP_ACCEPT_LANGUAGE="en"), User_of(people["clerk"]))
    page = f"/gent/backoffice/requests/{case.tracking_code}"
    shown = clerk.get(page).content.decode()
    default = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    assert f'value="{default}"' in shown and "What is missing (the applicant reads it)" in shown
    refused = clerk.post(
        page + "/act",
        {"action": "request_info", "reason": "The plans.", "deadline": "next week"},
        follow=True,
    )
    assert "Give a day as YYYY-MM-DD." in refused.content.decode()
    assert not CompletenessRequest.objects.filter(case=case).exists()
    day = timezone.localdate() + dt.timedelta(days=10)
    clerk.post(
        page + "/act",
        {"action": "request_info", "reason": "The plans.", "deadline": day.isoformat()},
    )
    assert CompletenessRequest.objects.get(case=case).deadline == day
    assert "Incomplete: asked on" in clerk.get(page).content.decode()
