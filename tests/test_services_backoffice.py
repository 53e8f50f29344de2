"""The officers' back office for service requests (issue 12, points 6, 7, 9 and 10): queues
per department and service with their filters, isolation between departments and
municipalities, decisions, internal notes the citizen never sees, and filing a request
for a citizen at the counter."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from conftest import bearer, citizen_user, officer_login_client
from eloket.attachments.models import Attachment
from eloket.cases.models import Case, CaseNote, StatusChange
from eloket.cases.selectors import cases_of_municipality
from eloket.cases.services import case_note_add
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import PermissionDenied
from eloket.identity.models import Citizen, OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor
from eloket.register.models import AccessLogEntry
from eloket.services.models import ServiceRequest
from eloket.services.services import service_publish, service_request_submit


def _text(name, type_, **extra):
    return {"name": name, "type": type_, "label": {"en": name.replace("_", " ")}, **extra}


def definition(code, department, **extra):
    return {
        "code": code,
        "names": {"en": code.replace("_", " ").capitalize()},
        "department": department,
        "processing_days": 10,
        "audience": "residents",
        "form": {
            "steps": [
                {
                    "name": "about",
                    "title": {"en": "About"},
                    "fields": [
                        _text("title", "text", required=True, max_length=60),
                        _text("visitors", "number", integer=True, min=1, max=5000),
                        _text("outdoor", "yes_no", required=True),
                        _text("venue", "address"),
                        _text("member", "household_member"),
                        _text("plan", "file", accept=["application/pdf"], max_files=2),
                    ],
                },
                {
                    "name": "outside",
                    "title": {"en": "Outside"},
                    "fields": [
                        _text(
                            "rain_plan",
                            "text",
                            required=True,
                            condition={"field": "outdoor", "equals": True},
                        ),
                    ],
                },
            ]
        },
        **extra,
    }


ANSWERS = {"title": "Street party", "visitors": 120, "outdoor": False}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }


def a_pdf(name="plan.pdf"):
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/pdf")


@pytest.fixture
def services(gent, brugge):
    system = Actor.system("test", gent)
    events = service_publish(
        actor=system,
        municipality=gent,
        definition=definition("event_permit", "events", fee={"amount": 25, "currency": "EUR"}),
    )
    planning = service_publish(
        actor=system, municipality=gent, definition=definition("building_permit", "planning")
    )
    service_publish(
        actor=Actor.system("test", brugge),
        municipality=brugge,
        definition=definition("event_permit", "events"),
    )
    return events, planning


def _officer(make_officer, username, municipality, department="", role="clerk"):
    user = make_officer(username, municipality, role=role)
    OfficerRole.objects.filter(user=user).update(department=department)
    return user, officer_actor(OfficerRole.objects.get(user=user, municipality=municipality))


@pytest.fixture
def people(gent, brugge, family, make_officer):
    events_clerk, events_actor = _officer(make_officer, "eva", gent, "events")
    planning_clerk, planning_actor = _officer(make_officer, "piet", gent, "planning")
    head, head_actor = _officer(make_officer, "hilde", gent, "", role="head")
    brugge_clerk, brugge_actor = _officer(make_officer, "bram", brugge, "events")
    return {
        "events": (events_clerk, events_actor),
        "planning": (planning_clerk, planning_actor),
        "head": (head, head_actor),
        "brugge": (brugge_clerk, brugge_actor),
        "jan": citizen_user(family["Jan"]),
    }


def _submit(gent, user, code="event_permit", answers=ANSWERS):
    case, _new = service_request_submit(
        actor=citizen_actor_of(user), municipality=gent, code=code, answers=answers
    )
    return case


def _codes(html):
    return set(re.findall(r"<code>([0-9A-Z]{4}-[0-9A-Z]{4})</code>", html))


def test_queue_filters_by_department_service_status_and_overdue(gent, services, people):
    jan = people["jan"]
    event = _submit(gent, jan)
    late = _submit(gent, jan)
    planning = _submit(gent, jan, code="building_permit")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    # Past its date but waiting for the citizen: not overdue.
    asked = _submit(gent, jan)
    Case.objects.filter(pk=asked.pk).update(
        due_at=timezone.now() - dt.timedelta(days=1), status="needs_information"
    )
    events_actor = people["events"][1]
    head_actor = people["head"][1]

    def codes(**filters):
        actor = filters.pop("actor", events_actor)
        return {c.pk for c in cases_of_municipality(municipality=gent, actor=actor, **filters)}

    assert codes() == {event.pk, late.pk, asked.pk}
    assert codes(actor=people["planning"][1]) == {planning.pk}
    assert codes(actor=head_actor) == {event.pk, late.pk, asked.pk, planning.pk}
    assert codes(actor=head_actor, department="planning") == {planning.pk}
    assert codes(overdue=True) == {late.pk}
    assert codes(statuses=["needs_information"]) == {asked.pk}
    assert codes(actor=head_actor, kinds=["building_permit"]) == {planning.pk}
    # The same with the page's parameters.
    assert Case.objects.get(pk=late.pk).is_overdue


def test_queue_page_filters_and_isolation(client, gent, services, people):
    jan = people["jan"]
    event = _submit(gent, jan)
    late = _submit(gent, jan)
    planning = _submit(gent, jan, code="building_permit")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    officer_login_client(client, people["events"][0])
    page = client.get("/gent/backoffice/requests/").content.decode()
    assert _codes(page) == {event.display_code, late.display_code}
    assert planning.display_code not in page
    overdue = client.get("/gent/backoffice/requests/?overdue=1").content.decode()
    assert _codes(overdue) == {late.display_code}
    # A clerk cannot pick another department: the parameter is ignored.
    other = client.get("/gent/backoffice/requests/?department=planning").content.decode()
    assert planning.display_code not in other
    # Nor its kind on the back office's front page.
    home = client.get("/gent/backoffice/").content.decode()
    assert "Event permit" in home and "Building permit" not in home
    # Another department's request is not there at all.
    assert client.get(f"/gent/backoffice/requests/{planning.tracking_code}").status_code == 404
    response = client.post(
        f"/gent/backoffice/requests/{planning.tracking_code}/act", {"action": "approve"}
    )
    assert response.status_code == 404
    assert Case.objects.get(pk=planning.pk).status == "submitted"


def test_head_chooses_the_department(client, gent, services, people):
    jan = people["jan"]
    event = _submit(gent, jan)
    planning = _submit(gent, jan, code="building_permit")
    officer_login_client(client, people["head"][0])
    every = client.get("/gent/backoffice/requests/").content.decode()
    assert _codes(every) == {event.display_code, planning.display_code}
    only = client.get("/gent/backoffice/requests/?department=planning").content.decode()
    assert _codes(only) == {planning.display_code}


def test_another_municipality_sees_nothing(client, gent, brugge, services, people):
    case = _submit(gent, people["jan"])
    officer_login_client(client, people["brugge"][0])
    assert client.get(f"/brugge/backoffice/requests/{case.tracking_code}").status_code == 404
    assert case.display_code not in client.get("/brugge/backoffice/requests/").content.decode()
    # And at Gent's address, Bruges' officer is no officer.
    assert client.get(f"/gent/backoffice/requests/{case.tracking_code}").status_code == 403
    with pytest.raises(PermissionDenied):
        case_note_add(actor=people["brugge"][1], municipality=gent, case=case, text="x")


def test_queue_page_is_paginated_with_a_fixed_number_of_queries(
    client, gent, services, people, django_assert_max_num_queries
):
    jan = people["jan"]
    for _n in range(30):
        _submit(gent, jan)
    officer_login_client(client, people["events"][0])
    client.get("/gent/backoffice/requests/")  # warm the caches of the session
    with django_assert_max_num_queries(12) as captured:
        first = client.get("/gent/backoffice/requests/?overdue=&status=open").content.decode()
    baseline = len(captured.captured_queries)
    assert len(_codes(first)) == 25 and "page=2" in first
    second = client.get("/gent/backoffice/requests/?page=2").content.decode()
    assert len(_codes(second)) == 5 and "page=3" not in second
    # More rows do not mean more queries.
    for _n in range(20):
        _submit(gent, jan)
    with django_assert_max_num_queries(baseline):
        client.get("/gent/backoffice/requests/?page=2")


def test_service_request_page_shows_answers_fee_and_decisions(client, gent, services, people):
    case = _submit(gent, people["jan"])
    officer_login_client(client, people["events"][0])
    page = client.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    assert "Street party" in page and "120" in page
    assert "€ 25,00" in page
    for action in ("approve", "reject", "request_info"):
        assert f'value="{action}"' in page


def test_decisions_change_status_and_timeline_and_need_a_reason(client, gent, services, people):
    case = _submit(gent, people["jan"])
    officer_login_client(client, people["events"][0])
    act = f"/gent/backoffice/requests/{case.tracking_code}/act"
    for action in ("reject", "request_info"):
        client.post(act, {"action": action, "reason": "  "})
        assert Case.objects.get(pk=case.pk).status == "submitted"
    client.post(act, {"action": "request_info", "reason": "Which street exactly?"})
    case.refresh_from_db()
    assert case.status == "needs_information"
    step = StatusChange.objects.filter(case=case).last()
    assert step.reason == "Which street exactly?" and step.action == "request_info"
    # The citizen reads the question on their page.
    citizen = Client()
    citizen.force_login(people["jan"])
    assert (
        "Which street exactly?"
        in citizen.get(f"/gent/requests/{case.tracking_code}").content.decode()
    )
    client.post(act, {"action": "reject", "reason": "Not on public ground."})
    case.refresh_from_db()
    assert case.status == "rejected" and case.closed_at is not None
    assert StatusChange.objects.filter(case=case, action="reject").exists()


def test_approve(client, gent, services, people):
    case = _submit(gent, people["jan"])
    officer_login_client(client, people["events"][0])
    client.post(f"/gent/backoffice/requests/{case.tracking_code}/act", {"action": "approve"})
    case.refresh_from_db()
    assert case.status == "approved" and case.assigned_to_id == people["events"][0].pk


def test_claim_and_assign(client, gent, services, people):
    case = _submit(gent, people["jan"])
    officer_login_client(client, people["events"][0])
    client.post(f"/gent/backoffice/requests/{case.tracking_code}/act", {"action": "claim"})
    assert Case.objects.get(pk=case.pk).assigned_to_id == people["events"][0].pk
    mine = client.get("/gent/backoffice/requests/?mine=1").content.decode()
    assert _codes(mine) == {case.display_code}


def test_notes_are_for_officers_only(client, gent, services, people):
    jan = people["jan"]
    case = _submit(gent, jan)
    officer_login_client(client, people["events"][0])
    act = f"/gent/backoffice/requests/{case.tracking_code}/act"
    client.post(act, {"action": "note", "note": "Neighbour complained last year."})
    note = CaseNote.objects.get(case=case)
    assert note.author_id == people["events"][0].pk
    page = client.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    assert "Neighbour complained last year." in page
    # Not for another department's clerk, not for the citizen.
    with pytest.raises(PermissionDenied):
        case_note_add(actor=people["planning"][1], municipality=gent, case=case, text="x")
    with pytest.raises(PermissionDenied):
        case_note_add(actor=citizen_actor_of(jan), municipality=gent, case=case, text="x")
    with pytest.raises(ApplicationError):
        case_note_add(actor=people["events"][1], municipality=gent, case=case, text="  ")
    client = Client()
    client.force_login(jan)
    citizen_page = client.get(f"/gent/requests/{case.tracking_code}")
    assert citizen_page.status_code == 200
    assert "Neighbour complained" not in citizen_page.content.decode()
    api = client.get(f"/api/v1/requests/{case.tracking_code}", **bearer(jan))
    assert api.status_code == 200 and "Neighbour complained" not in api.content.decode()


def test_counter_filing_for_a_citizen(client, gent, services, people, family):
    sofie = family["Sofie"]
    assert not Citizen.objects.filter(national_id=sofie.national_id).exists()
    clerk = people["events"][0]
    officer_login_client(client, clerk)
    start = client.get("/gent/backoffice/requests/new").content.decode()
    assert "event_permit" in start and "building_permit" not in start
    found = client.post(
        "/gent/backoffice/requests/new",
        {
            "action": "find",
            "service": "event_permit",
            "channel": "phone",
            "national_id": sofie.national_id,
        },
    )
    assert found.status_code == 200
    html = found.content.decode()
    assert sofie.full_name in html
    assert sofie.national_id not in html  # carried as a signed register id
    entry = AccessLogEntry.objects.get(person=sofie)
    assert entry.actor_user_id == clerk.pk and "Event permit" in entry.purpose
    subject = re.search(r'name="subject" value="([^"]+)"', html).group(1)
    # A missing answer: the form again, with the message, and nothing made.
    refused = client.post(
        "/gent/backoffice/requests/new",
        {"action": "file", "subject": subject, "title": "", "outdoor": "yes"},
    )
    assert refused.status_code == 400
    assert not Case.objects.exists()
    assert not Citizen.objects.filter(national_id=sofie.national_id).exists()
    filed = client.post(
        "/gent/backoffice/requests/new",
        {
            "action": "file",
            "subject": subject,
            "title": "Birthday in the park",
            "visitors": "40",
            "outdoor": "yes",
            "rain_plan": "Tent",
            "member": str(family["Lotte"].pk),
            "plan": a_pdf(),
        },
    )
    assert filed.status_code == 302
    case = Case.objects.get()
    record = ServiceRequest.objects.get(case=case)
    assert (record.channel, record.filed_by_id) == ("phone", clerk.pk)
    assert record.answers["rain_plan"] == "Tent" and record.answers["visitors"] == 40
    assert record.labels == {"member": family["Lotte"].full_name}
    assert [(a.question, a.name) for a in Attachment.objects.filter(case=case)] == [
        ("plan", "plan.pdf")
    ]
    citizen = Citizen.objects.get(national_id=sofie.national_id)
    assert case.requester_id == citizen.user_id
    assert citizen.last_login_method == ""  # no login happened
    # Sofie finds it in "My requests", filed by phone by the clerk.
    sofies = Client()
    sofies.force_login(citizen.user)
    assert case.display_code in sofies.get("/gent/my/requests").content.decode()
    first = StatusChange.objects.filter(case=case).first()
    assert first.actor_user_id == clerk.pk and first.params["channel"] == "phone"


def test_counter_filing_refuses_another_departments_service_and_forged_subjects(
    client, gent, services, people, family
):
    officer_login_client(client, people["events"][0])
    refused = client.post(
        "/gent/backoffice/requests/new",
        {
            "action": "find",
            "service": "building_permit",
            "channel": "counter",
            "national_id": family["Jan"].national_id,
        },
    )
    assert refused.status_code == 400
    assert not AccessLogEntry.objects.exists()
    forged = client.post(
        "/gent/backoffice/requests/new",
        {"action": "file", "subject": "x:y:z", "title": "Party", "outdoor": "no"},
    )
    assert forged.status_code == 400 and not Case.objects.exists()


def test_officer_adds_the_files_a_citizen_handed_in_and_opens_them(client, gent, services, people):
    case = _submit(gent, people["jan"])
    officer_login_client(client, people["events"][0])
    act = f"/gent/backoffice/requests/{case.tracking_code}/act"
    client.post(act, {"action": "files", "plan": a_pdf("site.pdf")})
    attachment = Attachment.objects.get(case=case)
    assert attachment.question == "plan" and attachment.uploaded_by_id == people["events"][0].pk
    page = client.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    link = f"/gent/backoffice/requests/{case.tracking_code}/files/{attachment.public_id}"
    assert link in page
    opened = client.get(link)
    assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"
    # A question the form does not ask: refused, nothing stored.
    client.post(act, {"action": "files", "other": a_pdf()})
    assert Attachment.objects.filter(case=case).count() == 1
