"""Issue 12, points 4, 6, 9 and 10: the citizen's pages of a service, server-rendered and
working without JavaScript — the start page, one step per page with the error summary,
"Back" losing nothing, a step shown by an earlier answer, "check your answers", one
request for two clicks, drafts in "My requests", the request's read-only answers (of the
version it was made with), and requests for someone else."""

import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.test import Client

from conftest import citizen_user
from eloket.cases.models import Case
from eloket.common.actors import Actor
from eloket.services.models import Draft, ServiceRequest
from eloket.services.services import service_publish, service_request_submit

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "eloket" / "services" / "library"
START = "/gent/services/event_permit"

EVENT = {"event_name": "Buurtfeest", "event_kind": "street_party", "event_date": "2027-06-21"}
PLACE = {
    "location.street": "Veldstraat",
    "location.number": "1",
    "location.postcode": "9000",
    "location.city": "Gent",
    "road_closure": "no",
    "alcohol": "no",
}
CONTACT = {"organiser": "Buurtcomité", "phone": "+32 9 210 10 10", "truthful": "yes"}


def event_permit(**changes):
    definition = json.loads((LIBRARY / "event_permit.json").read_text())
    definition.update(changes)
    return definition


@pytest.fixture
def permit(gent):
    return service_publish(
        actor=Actor.system("test", gent), municipality=gent, definition=event_permit()
    )


def as_citizen(person, language="en"):
    client = Client()
    client.force_login(citizen_user(person))
    client.cookies["eloket_language"] = language
    return client


@pytest.fixture
def jan(family):
    return as_citizen(family["Jan"])


def text(response) -> str:
    return unescape(response.content.decode())


def start(client, url=START) -> str:
    """Press "Start": the address of the first page of the new draft."""
    answer = client.post(url)
    assert answer.status_code == 302, text(answer)[:500]
    return answer["Location"]


def draft_base(location: str) -> str:
    return re.match(r"(.*/d/[0-9a-f-]{36})", location).group(1)


def test_the_start_page_tells_what_when_and_how_much(permit, client, jan):
    page = text(client.get(START))
    assert "Event permit" in page or "Evenementenvergunning" in page
    assert "25,00" in page and "30" in page
    assert "/auth/" in page or "login" in page  # a visitor is asked to log in first
    # Pressing "Start" without a log-in goes to the log-in, then comes back here.
    answer = client.post(START)
    assert answer.status_code == 302 and "next=" in answer["Location"]
    page = text(jan.get(START))
    assert "Anyone who logs in with an eID may apply." in page
    assert 'type="submit"' in page


def test_an_unknown_disabled_or_foreign_service_is_no_page(permit, brugge, jan):
    from eloket.services.services import service_set_active

    assert jan.get("/gent/services/no_such_thing").status_code == 404
    assert jan.get("/brugge/services/event_permit").status_code == 404
    service_set_active(
        actor=Actor.system("t", permit.municipality),
        municipality=permit.municipality,
        code="event_permit",
        active=False,
    )
    assert jan.get(START).status_code == 404


def test_who_may_not_apply_is_told_why(gent, family):
    service_publish(
        actor=Actor.system("test", gent),
        municipality=gent,
        definition=event_permit(audience="adult_residents"),
    )
    lotte = as_citizen(family["Lotte"])
    page = lotte.get(START)
    assert page.status_code == 403
    assert "18" in text(page)
    assert lotte.post(START).status_code == 403
    assert not Draft.objects.exists()
    page = as_citizen(family["Lotte"], "nl").get(START)
    assert "18 jaar" in text(page)


def test_the_whole_journey(permit, family, jan):
    first = start(jan)
    assert first.endswith("/event")
    base = draft_base(first)
    page = text(jan.get(first))
    assert "Step 1 of 3" in page
    assert 'inputmode="numeric"' in page
    # A wrong answer: the error summary links to the field, the message sits next to
    # it, and what was typed stays.
    answer = jan.post(first, {**EVENT, "visitors": "lots"})
    assert answer.status_code == 400
    page = text(answer)
    assert 'class="error-summary"' in page and 'href="#q-visitors"' in page
    assert "Enter a whole number." in page
    assert 'id="q-visitors-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Buurtfeest"' in page and 'value="lots"' in page
    assert page.count("Enter a whole number.") == 2  # in the summary and at the field
    # Fixed: on to the next step.
    answer = jan.post(first, {**EVENT, "visitors": "120"})
    assert answer.status_code == 302 and answer["Location"] == f"{base}/place"
    place = text(jan.get(f"{base}/place"))
    assert "Step 2 of 3" in place
    assert 'autocomplete="postal-code"' in place and 'autocomplete="address-line1"' in place
    # "Back" goes to the previous step, whose answers are all there.
    assert f'href="{base}/event"' in place
    again = text(jan.get(f"{base}/event"))
    assert 'value="Buurtfeest"' in again and 'value="120"' in again and "checked" in again
    # Alcohol: a step appears ...
    answer = jan.post(f"{base}/place", {**PLACE, "alcohol": "yes"})
    assert answer["Location"] == f"{base}/drinks"
    drinks = text(jan.get(f"{base}/drinks"))
    assert "Step 3 of 4" in drinks
    assert 'value="Jan Peeters"' in drinks  # prefilled from the register
    # ... and goes when the answer changes.
    answer = jan.post(f"{base}/place", PLACE)
    assert answer["Location"] == f"{base}/contact"
    contact = text(jan.get(f"{base}/contact"))
    assert "Step 3 of 3" in contact
    assert 'type="tel"' in contact and 'autocomplete="tel"' in contact
    assert jan.get(f"{base}/drinks")["Location"].endswith("/contact")  # not asked now
    # A consent not given.
    answer = jan.post(f"{base}/contact", {**CONTACT, "truthful": ""})
    assert answer.status_code == 400 and "You must agree to go on." in text(answer)
    answer = jan.post(f"{base}/contact", CONTACT)
    assert answer["Location"] == f"{base}/check"
    # Check your answers: every answer, a "Change" link per step, the fee.
    check = text(jan.get(f"{base}/check"))
    for shown in ("Buurtfeest", "Street party", "Veldstraat 1, 9000 Gent", "+32 9 210 10 10"):
        assert shown in check
    assert f'href="{base}/event?return=check' in check
    assert "25,00" in check
    # "Change" comes back to the check page.
    answer = jan.post(f"{base}/event?return=check", {**EVENT, "visitors": "150", "return": "check"})
    assert answer["Location"] == f"{base}/check"
    # Sent twice (a double click): one request.
    first_click = jan.post(f"{base}/check", {"email": "jan@example.org"})
    second_click = jan.post(f"{base}/check", {"email": "jan@example.org"})
    assert first_click.status_code == second_click.status_code == 302
    assert first_click["Location"] == second_click["Location"]
    assert Case.objects.count() == 1
    case = Case.objects.get()
    record = ServiceRequest.objects.get(case=case)
    assert record.answers["visitors"] == 150 and case.contact_email == "jan@example.org"
    assert "alcohol" in record.answers and "strong_drinks" not in record.answers
    sent = text(jan.get(first_click["Location"]))
    assert case.display_code in sent
    # The request's page shows the answers read-only, the fee and its status.
    page = text(jan.get(f"/gent/requests/{case.tracking_code}"))
    assert "Buurtfeest" in page and "Veldstraat 1, 9000 Gent" in page
    assert "25,00" in page and "to be paid" in page
    assert 'name="event_name"' not in page
    assert not Draft.objects.exists()


def test_a_request_shows_the_version_it_was_made_with(permit, gent, family, jan):
    from eloket.identity.selectors import citizen_actor_of

    actor = citizen_actor_of(citizen_user(family["Jan"]))
    answers = {
        "event_name": "Buurtfeest",
        "event_kind": "market",
        "event_date": "2027-06-21",
        "visitors": 40,
        "location": {
            "address": {"street": "Kouter", "number": "2", "postcode": "9000", "city": "Gent"}
        },
        "road_closure": False,
        "alcohol": False,
        "organiser": "Jan",
        "phone": "+32 9 210 10 10",
        "truthful": True,
    }
    case, _new = service_request_submit(
        actor=actor, municipality=gent, code="event_permit", answers=answers
    )
    changed = event_permit()
    changed["form"]["steps"][0]["fields"][0]["label"]["en"] = "What the event is called"
    changed["form"]["steps"][0]["fields"][0]["label"]["nl"] = "Hoe heet het evenement"
    service_publish(actor=Actor.system("t", gent), municipality=gent, definition=changed)
    page = text(jan.get(f"/gent/requests/{case.tracking_code}"))
    assert "Name of the event" in page and "What the event is called" not in page
    assert "Market" in page


def test_drafts_in_my_requests_continue_and_delete(permit, jan):
    base = draft_base(start(jan))
    jan.post(f"{base}/event", {**EVENT, "visitors": "10"})
    mine = text(jan.get("/gent/my/requests"))
    assert "Not sent yet" in mine and "Event permit" in mine
    assert f'href="{base}"' in mine
    # Continue: where it was left.
    assert jan.get(base)["Location"] == f"{base}/place"
    # Delete: asked first, then gone.
    assert jan.get(f"{base}/delete-draft").status_code == 200
    answer = jan.post(f"{base}/delete-draft")
    assert answer.status_code == 302 and not Draft.objects.exists()
    assert "Not sent yet" not in text(jan.get("/gent/my/requests"))


def test_a_draft_is_its_owners_alone_and_of_its_municipality(permit, brugge, family, jan):
    base = draft_base(start(jan))
    sofie = as_citizen(family["Sofie"])
    for path in ("", "/event", "/check", "/delete-draft"):
        assert sofie.get(base + path).status_code == 404
    assert sofie.post(f"{base}/event", {**EVENT, "visitors": "5"}).status_code == 404
    assert sofie.post(f"{base}/check").status_code == 404
    assert Draft.objects.get().answers == {}
    # The same draft under another municipality's address: no such page.
    assert jan.get(base.replace("/gent/", "/brugge/") + "/event").status_code == 404
    # A made-up token, a step the form does not have.
    assert (
        jan.get(
            re.sub(r"/d/[0-9a-f-]{36}", f"/d/{'0' * 8}-0000-0000-0000-{'0' * 12}", base)
        ).status_code
        == 404
    )
    assert jan.get(f"{base}/nonsense").status_code == 404
    # Not logged in: to the log-in.
    answer = Client().get(f"{base}/event")
    assert answer.status_code == 302 and "login" in answer["Location"]


def test_errors_in_dutch(permit, family):
    jan = as_citizen(family["Jan"], "nl")
    first = start(jan)
    answer = jan.post(first, {"event_name": "", "visitors": "0", "event_date": "21/06/2027"})
    page = text(answer)
    assert answer.status_code == 400
    assert "Er is een probleem" in page
    assert "Vul “Naam van het evenement” in." in page
    assert "Vul 1 of meer in." in page
    assert "Stap 1 van 3" in page


def test_a_request_for_someone_else(gent, family):
    service_publish(
        actor=Actor.system("test", gent),
        municipality=gent,
        definition=event_permit(on_behalf={"grounds": ["parent", "mandate"]}),
    )
    jan = as_citizen(family["Jan"])
    location = start(jan)
    assert location.endswith("/for-whom")
    base = draft_base(location)
    answer = jan.post(location, {"whom": "other", "name": "", "ground": "parent"})
    assert answer.status_code == 400 and 'href="#name"' in text(answer)
    answer = jan.post(location, {"whom": "other", "name": "Lotte Peeters", "ground": "notary"})
    assert answer.status_code == 400  # not a ground this service accepts
    answer = jan.post(location, {"whom": "other", "name": "Lotte Peeters", "ground": "parent"})
    assert answer["Location"] == f"{base}/event"
    assert f'href="{base}/for-whom"' in text(jan.get(f"{base}/event"))  # "Back"
    jan.post(f"{base}/event", {**EVENT, "visitors": "10"})
    jan.post(f"{base}/place", PLACE)
    jan.post(f"{base}/contact", CONTACT)
    check = text(jan.get(f"{base}/check"))
    assert "Lotte Peeters (parent of a minor)" in check
    answer = jan.post(f"{base}/check", {"email": ""})
    assert answer.status_code == 302
    record = ServiceRequest.objects.get()
    assert (record.on_behalf_name, record.on_behalf_ground) == ("Lotte Peeters", "parent")
    page = text(jan.get(f"/gent/requests/{record.case.tracking_code}"))
    assert "Lotte Peeters (parent of a minor)" in page


def test_a_bad_contact_address_is_refused_on_the_check_page(permit, jan):
    base = draft_base(start(jan))
    jan.post(f"{base}/event", {**EVENT, "visitors": "10"})
    jan.post(f"{base}/place", PLACE)
    jan.post(f"{base}/contact", CONTACT)
    answer = jan.post(f"{base}/check", {"email": "not an address"})
    assert answer.status_code == 400 and 'href="#email"' in text(answer)
    assert not Case.objects.exists()


def test_the_check_page_sends_to_a_step_not_done(permit, jan):
    base = draft_base(start(jan))
    jan.post(f"{base}/event", {**EVENT, "visitors": "10"})
    assert jan.get(f"{base}/check")["Location"] == f"{base}/place"
    answer = jan.post(f"{base}/check", {"email": ""})
    assert answer["Location"] == f"{base}/place"
    assert not Case.objects.exists()


def test_every_field_type_on_the_page(gent, family):
    """Each type drawn with its own input (and autocomplete), put together from the page's
    strings (an address from its parts, coordinates, several choices, a household
    member) and kept as the JSON answer."""
    from test_services_core import EVERY_TYPE

    service_publish(actor=Actor.system("test", gent), municipality=gent, definition=EVERY_TYPE)
    jan = as_citizen(family["Jan"])
    location = start(jan, "/gent/services/every_type")
    assert location.endswith("/for-whom")
    base = draft_base(location)
    assert jan.post(location, {"whom": "self"})["Location"] == f"{base}/first"
    page = text(jan.get(f"{base}/first"))
    assert 'type="checkbox" id="q-extras-0" name="extras"' in page
    assert 'type="radio" id="q-colour-0" name="colour"' in page
    assert 'type="email" id="q-mail"' in page and 'autocomplete="email"' in page
    assert 'type="tel" id="q-tel"' in page and 'inputmode="decimal"' in page
    answer = jan.post(
        f"{base}/first",
        {
            "title": "Party",
            "count": "3",
            "share": "1,5",
            "when": "2027-06-21",
            "colour": "red",
            "extras": ["tent", "stage"],
            "outdoor": "yes",
        },
    )
    assert answer["Location"] == f"{base}/second"
    page = text(jan.get(f"{base}/second"))
    assert 'value="Veldstraat"' in page  # the address from the register
    assert "Lotte Peeters" in page and "Pieter" not in page  # the household only
    assert 'id="q-tent_size"' in page  # shown: the extras include a tent
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    lotte = family["Lotte"]
    second = {
        "home.street": "Veldstraat",
        "home.number": "1",
        "home.postcode": "9000",
        "home.city": "Gent",
        "site.street": "Kouter",
        "site.number": "2",
        "site.postcode": "9000",
        "site.city": "Gent",
        "site.lat": "north",
        "member": str(lotte.pk),
        "agree": "yes",
        "tent_size": "40",
    }
    answer = jan.post(f"{base}/second", second)
    assert answer.status_code == 400 and "coordinates as numbers" in text(answer)
    answer = jan.post(f"{base}/second", {**second, "site.lat": "51,05", "site.lon": "3.72"})
    assert answer["Location"] == f"{base}/outside"
    jan.post(f"{base}/outside", {"rain_plan": "A tent"})
    check = text(jan.get(f"{base}/check"))
    assert "Lotte Peeters" in check and "Tent, Stage" in check and "51.05000" in check
    assert "Myself" in check
    assert jan.post(f"{base}/check", {"email": ""}).status_code == 302
    record = ServiceRequest.objects.get()
    assert record.answers["share"] == 1.5 and record.answers["extras"] == ["tent", "stage"]
    assert record.answers["site"] == {
        "address": {"street": "Kouter", "number": "2", "postcode": "9000", "city": "Gent"},
        "lat": 51.05,
        "lon": 3.72,
    }
    assert record.answers["outdoor"] is True and record.answers["agree"] is True
    assert record.labels == {"member": lotte.full_name}


def test_a_file_question_on_a_step(permit, family, settings, tmp_path):
    """The traffic plan (a PDF, at most two) goes to the draft through the attachments
    app: a file that is not a PDF is refused at its field and nothing is kept; a real one
    is listed on the step and on "check your answers", and becomes the request's."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from eloket.attachments.models import Attachment
    from test_attachments import pdf_bytes

    jan = as_citizen(family["Jan"])
    base = draft_base(start(jan))
    jan.post(f"{base}/event", {**EVENT, "visitors": "10"})
    assert jan.post(f"{base}/place", {**PLACE, "road_closure": "yes"})["Location"] == (
        f"{base}/road"
    )
    page = text(jan.get(f"{base}/road"))
    assert 'enctype="multipart/form-data"' in page and 'accept="application/pdf"' in page
    fake = SimpleUploadedFile("plan.pdf", b"<html>no pdf</html>", content_type="application/pdf")
    answer = jan.post(f"{base}/road", {"closed_streets": "Sleepstraat", "traffic_plan": fake})
    assert answer.status_code == 400 and 'href="#q-traffic_plan"' in text(answer)
    assert not Attachment.objects.exists()
    plan = SimpleUploadedFile("plan.pdf", pdf_bytes(), content_type="application/pdf")
    answer = jan.post(f"{base}/road", {"closed_streets": "Sleepstraat", "traffic_plan": plan})
    assert answer["Location"] == f"{base}/contact"
    assert "plan.pdf" in text(jan.get(f"{base}/road"))
    jan.post(f"{base}/contact", CONTACT)
    assert "plan.pdf" in text(jan.get(f"{base}/check"))
    assert jan.post(f"{base}/check", {"email": ""}).status_code == 302
    case = Case.objects.get()
    assert Attachment.objects.get().case == case
