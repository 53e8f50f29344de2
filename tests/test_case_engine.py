"""The case engine (issue 9): a kind of request defined by data alone and walked through,
with refusals for a wrong actor, a wrong municipality and a wrong source state; versions;
the links every kind's handler gives, opened as its citizen and as an officer (the
petition-case 500 is a regression test); one API for requests of every kind."""

import datetime as dt

import pytest

from conftest import bearer, citizen_user, officer_login_client, person_record
from eloket.audit.models import AuditEvent
from eloket.cases.display import case_path, history_text
from eloket.cases.models import Case, CaseType, StatusChange
from eloket.cases.services import (
    WrongState,
    case_act,
    case_create,
    case_message_add,
    case_transition,
    case_type_publish,
)
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import PermissionDenied
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor, officer_role_in
from eloket.outbox.models import OutboxMessage
from eloket.register.models import Person

HOUSING = {
    "statuses": [
        {
            "code": "received",
            "names": {"en": "received", "nl": "ontvangen"},
            "initial": True,
            "texts": {"en": "We received your question.", "nl": "We ontvingen uw vraag."},
        },
        {"code": "looking", "names": {"en": "being looked up", "nl": "wordt opgezocht"}},
        {
            "code": "question",
            "names": {"en": "question for you", "nl": "vraag aan u"},
            "waiting_for": "requester",
        },
        {"code": "answered", "names": {"en": "answered", "nl": "beantwoord"}, "final": True},
        {"code": "withdrawn", "names": {"en": "withdrawn", "nl": "ingetrokken"}, "final": True},
    ],
    "transitions": [
        {
            "action": "look_up",
            "from": ["received"],
            "to": "looking",
            "by": ["clerk"],
            "texts": {"en": "An officer looks it up.", "nl": "Een ambtenaar zoekt het op."},
        },
        {
            "action": "ask",
            "from": ["looking"],
            "to": "question",
            "by": ["clerk"],
            "reason_required": True,
        },
        {"action": "reply", "from": ["question"], "to": "looking", "by": ["requester"]},
        {
            "action": "answer",
            "from": ["looking"],
            "to": "answered",
            "by": ["head"],
            "names": {"en": "Send the answer", "nl": "Antwoord versturen"},
        },
        {
            "action": "withdraw",
            "from": ["received", "looking", "question"],
            "to": "withdrawn",
            "by": ["requester"],
        },
    ],
}


def officer(municipality, username, role="clerk", department=""):
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(username=username, password="correct horse 42")
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    OfficerRole.objects.create(
        user=user, municipality=municipality, role=role, department=department
    )
    return user, officer_actor(officer_role_in(user, municipality))


@pytest.fixture
def housing(gent):
    _user, admin = officer(gent, "gent.admin", role="admin")
    return case_type_publish(
        actor=admin,
        municipality=gent,
        code="housing_information",
        names={"en": "Housing information", "nl": "Woninginlichtingen"},
        definition=HOUSING,
        department="housing",
        processing_days=20,
    )


@pytest.fixture
def jan(family):
    return citizen_user(family["Jan"])


def ask(gent, jan, housing, **extra):
    return case_create(
        actor=citizen_actor_of(jan),
        municipality=gent,
        case_type=housing.code,
        requester_id=jan.pk,
        title="Is Veldstraat 1 in an area with a pre-emption right?",
        language="en",
        **extra,
    )


class TestCaseTypeFromData:
    def test_walked_through_with_every_refusal(self, gent, brugge, family, jan, housing):
        clerk = officer(gent, "gent.housing", department="housing")[1]
        other_clerk = officer(gent, "gent.civil", department="civil affairs")[1]
        head = officer(gent, "gent.head", role="head", department="civil affairs")[1]
        brugge_clerk = officer(brugge, "brugge.housing", department="housing")[1]
        sofie = citizen_actor_of(citizen_user(family["Sofie"]))
        me = citizen_actor_of(jan)

        case = ask(gent, jan, housing, contact_email="jan@example.org")
        assert (case.kind, case.status, case.case_type.version) == (
            "housing_information",
            "received",
            1,
        )
        assert case.due_at.date() == (case.created_at + dt.timedelta(days=20)).date()
        first = case.history.get()
        assert history_text(first, case) == "We received your question."

        def refused(exc, actor, action, municipality=gent, reason=""):
            before = (Case.objects.get(pk=case.pk).status, StatusChange.objects.count())
            with pytest.raises(exc):
                case_transition(
                    actor=actor, municipality=municipality, case=case, action=action, reason=reason
                )
            assert (Case.objects.get(pk=case.pk).status, StatusChange.objects.count()) == before

        # A wrong actor: the requester, another citizen, a clerk of another department,
        # an officer of another municipality (for his own, or claiming to act for Gent).
        refused(PermissionDenied, me, "look_up")
        refused(PermissionDenied, sofie, "withdraw")
        refused(PermissionDenied, other_clerk, "look_up")
        refused(PermissionDenied, brugge_clerk, "look_up")
        refused(NotFound, brugge_clerk, "look_up", municipality=brugge)
        refused(PermissionDenied, Actor.system("a task of Brugge", brugge), "look_up")
        # A wrong source state, and an action the kind does not know.
        refused(WrongState, clerk, "answer")
        refused(ApplicationError, clerk, "approve")

        case_transition(actor=clerk, municipality=gent, case=case, action="look_up")
        refused(ApplicationError, clerk, "ask")  # a reason is required
        case_transition(actor=clerk, municipality=gent, case=case, action="ask", reason="Which?")
        assert not case.is_overdue  # waiting for the requester
        case_act(actor=me, municipality=gent, case=case, action="reply")
        # A clerk may not send the answer; a head of another department may.
        refused(PermissionDenied, clerk, "answer")
        case_transition(actor=head, municipality=gent, case=case, action="answer")
        case.refresh_from_db()
        assert case.status == "answered" and case.closed_at is not None
        refused(WrongState, me, "withdraw")
        with pytest.raises(ApplicationError):
            case_message_add(actor=me, municipality=gent, case=case, text="Thanks")

        steps = [(s.from_status, s.to_status, s.action) for s in case.history.all()]
        assert steps == [
            ("", "received", ""),
            ("received", "looking", "look_up"),
            ("looking", "question", "ask"),
            ("question", "looking", "reply"),
            ("looking", "answered", "answer"),
        ]
        audited = list(
            AuditEvent.objects.filter(object_ref=case.tracking_code).values_list(
                "action", "actor_label"
            )
        )
        assert [a for a, _who in audited] == [
            "case.answer",
            "case.reply",
            "case.ask",
            "case.look_up",
        ]
        # The question and the answer (the steps that are news for the requester, issue
        # 11) each put an e-mail in the outbox (sent after the commit), in English, with
        # the link the kind's handler gives; received, looking and the reply did not.
        told = OutboxMessage.objects.filter(kind="email", ref=f"case:{case.tracking_code}")
        assert told.count() == 2
        assert all(
            m.payload["to"] == ["jan@example.org"]
            and f"/gent/requests/{case.tracking_code}" in m.payload["body"]
            for m in told
        )
        assert "is now: answered" in told.order_by("pk").last().payload["body"]

    def test_a_new_version_leaves_made_requests_as_they_were(self, gent, jan, housing):
        admin = officer(gent, "gent.admin2", role="admin")[1]
        made = ask(gent, jan, housing)
        changed = {
            **HOUSING,
            "statuses": [
                {**s, "names": {"en": "filed"}} if s["code"] == "received" else s
                for s in HOUSING["statuses"]
            ],
        }
        v2 = case_type_publish(
            actor=admin,
            municipality=gent,
            code="housing_information",
            names={"en": "Housing information"},
            definition=changed,
            department="housing",
        )
        assert v2.version == 2 and CaseType.objects.get(pk=housing.pk).current is False
        made.refresh_from_db()
        assert made.case_type_id == housing.pk and made.status_name("en") == "received"
        later = ask(gent, jan, housing)
        assert later.case_type_id == v2.pk and later.status_name("en") == "filed"

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            ({"statuses": [{"code": "a", "names": {"en": "a"}}]}, "exactly one status"),
            (
                {
                    "transitions": [
                        {"action": "x", "from": ["received"], "to": "nowhere", "by": ["clerk"]}
                    ]
                },
                "unknown status",
            ),
            (
                {
                    "transitions": [
                        {"action": "x", "from": ["answered"], "to": "looking", "by": ["clerk"]}
                    ]
                },
                "Nothing leaves a final status",
            ),
            ({"transitions": []}, "No transition reaches"),
            ({"statuses": "many"}, "statuses"),
            (
                {
                    "transitions": [
                        {"action": "x", "from": ["received"], "to": "looking", "by": ["mayor"]}
                    ]
                },
                "mayor",
            ),
        ],
    )
    def test_a_definition_that_does_not_hold_is_refused(self, gent, change, problem):
        admin = officer(gent, "gent.admin3", role="admin")[1]
        with pytest.raises(ApplicationError) as refused:
            case_type_publish(
                actor=admin,
                municipality=gent,
                code="broken",
                names={"en": "Broken"},
                definition={**HOUSING, **change},
            )
        assert refused.value.code == "invalid_case_type" and problem in str(refused.value)
        assert not CaseType.objects.filter(code="broken").exists()

    def test_only_an_administrator_publishes(self, gent, brugge):
        clerk = officer(gent, "gent.c", role="clerk")[1]
        brugge_admin = officer(brugge, "brugge.admin", role="admin")[1]
        for actor, municipality in ((clerk, gent), (brugge_admin, gent)):
            with pytest.raises(PermissionDenied):
                case_type_publish(
                    actor=actor,
                    municipality=municipality,
                    code="x",
                    names={"en": "X"},
                    definition=HOUSING,
                )
        assert not CaseType.objects.filter(code="x").exists()


@pytest.fixture
def every_kind(gent, family, seals, add_people, jan):
    """A certificate order in review, a petition's answer case, a request of a kind made
    from data: one case of every kind, each by Jan."""
    from django.test import TestCase

    from eloket.certificates.services import OrderRequest, order_submit
    from eloket.petitions import services as petitions
    from eloket.petitions.models import PetitionRules

    jan_actor = citizen_actor_of(jan)
    with TestCase.captureOnCommitCallbacks(execute=True):
        order, _new = order_submit(
            actor=jan_actor,
            municipality=gent,
            order_request=OrderRequest(
                certificate_type="birth_extract",
                subject=family["Lotte"].national_id,
                language="en",
                delivery="download",
            ),
        )
    add_people(
        gent,
        *[
            person_record(
                dt.date(1960 + i, 5, 1),
                80 + i,
                first=f"N{i}",
                household=f"N{i}",
                relation="reference",
            )
            for i in range(3)
        ],
    )
    neighbours = [
        citizen_actor_of(citizen_user(p))
        for p in Person.objects.filter(first_names__startswith="N")
    ]
    PetitionRules.objects.update_or_create(
        municipality=gent, defaults={"threshold_kind": "count", "threshold_value": 2}
    )
    petition = petitions.petition_start(
        actor=jan_actor, municipality=gent, title="Bomen", text="Meer bomen"
    )
    for neighbour in neighbours[:2]:
        petitions.petition_join(actor=neighbour, municipality=gent, petition=petition)
    petitions.petition_submit(actor=jan_actor, municipality=gent, petition=petition)
    petitions.petition_admit(
        actor=Actor.for_municipality(gent), municipality=gent, petition=petition, admissible=True
    )
    for neighbour in neighbours[:2]:
        petitions.petition_sign(actor=neighbour, municipality=gent, petition=petition)
    petition.refresh_from_db()
    admin = officer(gent, "gent.admin", role="admin")[1]
    generic = case_type_publish(
        actor=admin,
        municipality=gent,
        code="housing_information",
        names={"en": "Housing information"},
        definition=HOUSING,
    )
    housing = ask(gent, jan, generic)
    order.refresh_from_db()
    return {"certificate_order": order, "petition": petition.case, "housing_information": housing}


class TestEveryKind:
    def test_opened_through_its_handlers_link_as_citizen_and_officer(
        self, client, gent, jan, every_kind
    ):
        assert every_kind["certificate_order"].status == "in_review"
        assert every_kind["petition"].status == "in_review"
        client.force_login(jan)
        listing = client.get("/gent/my/requests", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        for kind, case in every_kind.items():
            link = f"/gent/{case_path(case)}"
            assert link in listing, kind
            page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
            assert page.status_code == 200, (kind, link)
            assert case.display_code in page.content.decode()
        # The petition's answer case used to link to /gent/orders/<code>, which answered 500.
        petition_case = every_kind["petition"]
        assert case_path(petition_case) == f"requests/{petition_case.tracking_code}"
        assert client.get(f"/gent/orders/{petition_case.tracking_code}").status_code == 404
        client.logout()
        clerk_user = officer(gent, "gent.clerk", role="clerk")[0]
        officer_login_client(client, clerk_user)
        for kind, case in every_kind.items():
            link = f"/gent/{case_path(case, officer=True)}"
            page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
            assert page.status_code == 200, (kind, link)
            assert case.display_code in page.content.decode() or case.title in page.content.decode()

    def test_the_api_lists_and_opens_every_kind(
        self, client, gent, brugge, family, jan, every_kind
    ):
        mine = client.get("/api/v1/me/requests", **bearer(jan)).json()
        assert mine["count"] == 3
        by_kind = {row["kind"]: row for row in mine["results"]}
        assert set(by_kind) == set(every_kind)
        for kind, case in every_kind.items():
            row = by_kind[kind]
            assert row["tracking_code"] == case.tracking_code and row["status"] == case.status
            assert row["url"].endswith(f"/gent/{case_path(case)}")
            opened = client.get(f"/api/v1/requests/{case.tracking_code}", **bearer(jan))
            assert opened.status_code == 200, opened.content
            body = opened.json()
            assert body["timeline"][0]["status"] == body["timeline"][0]["status"]
            assert len(body["timeline"]) == case.history.count()
        housing = every_kind["housing_information"]
        assert [
            a["action"]
            for a in client.get(f"/api/v1/requests/{housing.tracking_code}", **bearer(jan)).json()[
                "actions"
            ]
        ] == ["withdraw"]

    def test_who_may_open_a_request_through_the_api(
        self, client, gent, brugge, family, jan, every_kind
    ):
        housing = every_kind["housing_information"]
        CaseType.objects.filter(pk=housing.case_type_id).update(department="housing")
        url = f"/api/v1/requests/{housing.tracking_code}"
        in_department = officer(gent, "gent.housing", department="housing")[0]
        head = officer(gent, "gent.head", role="head", department="civil affairs")[0]
        other_department = officer(gent, "gent.civil", department="civil affairs")[0]
        brugge_clerk = officer(brugge, "brugge.housing", department="housing")[0]
        sofie = citizen_user(family["Sofie"])
        for user, status in (
            (in_department, 200),
            (head, 200),
            (other_department, 404),
            (brugge_clerk, 404),
            (sofie, 404),
        ):
            assert client.get(url, **bearer(user)).status_code == status, user.username
        assert client.get("/api/v1/requests/ZZZZZZZZ", **bearer(jan)).status_code == 404
        # An officer acts through the same endpoint; the citizen is refused an officer's act.
        acted = client.post(
            f"{url}/actions",
            {"action": "look_up"},
            content_type="application/json",
            **bearer(in_department),
        )
        assert acted.status_code == 200 and acted.json()["status"] == "looking"
        refused = client.post(
            f"{url}/actions", {"action": "answer"}, content_type="application/json", **bearer(jan)
        )
        assert refused.status_code == 403
        wrong = client.post(
            f"{url}/actions",
            {"action": "look_up"},
            content_type="application/json",
            **bearer(in_department),
        )
        assert wrong.status_code == 409 and wrong.json()["code"] == "wrong_state"


def test_an_administrator_publishes_a_kind_of_request_in_the_admin(client, gent, make_officer):
    import json

    admin_user = make_officer("gent.admin", gent, role="admin")
    officer_login_client(client, admin_user)
    form = {
        "municipality": gent.pk,
        "code": "housing_information",
        "handler": "generic",
        "names_en": "Housing information",
        "names_nl": "Woninginlichtingen",
        "department": "housing",
        "processing_days": "20",
        "definition": json.dumps({**HOUSING, "transitions": []}),
        "options": "{}",
        "audience": "residents",
    }
    refused = client.post("/admin/cases/casetype/add/", form)
    assert refused.status_code == 200 and "No transition reaches" in refused.content.decode()
    assert not CaseType.objects.filter(code="housing_information").exists()
    form["definition"] = json.dumps(HOUSING)
    assert client.post("/admin/cases/casetype/add/", form).status_code == 302
    first = CaseType.objects.get(code="housing_information")
    assert (first.version, first.department, first.spec.initial.code) == (1, "housing", "received")
    # Changing it publishes version 2; version 1 stays as it was.
    changed = {**form, "processing_days": "10"}
    del changed["code"], changed["handler"], changed["municipality"]
    assert client.post(f"/admin/cases/casetype/{first.pk}/change/", changed).status_code == 302
    versions = list(
        CaseType.objects.filter(code="housing_information")
        .order_by("version")
        .values_list("version", "current", "processing_days")
    )
    assert versions == [(1, False, 20), (2, True, 10)]
    assert AuditEvent.objects.filter(action="case_type.publish").count() == 2
    page = client.get(f"/admin/cases/casetype/{first.pk}/change/").content.decode()
    assert "look_up" in page and "being looked up" in page
    # Version 1 is history: shown, but not published again over version 2.
    assert "Save" not in page.split("submit-row")[-1] if "submit-row" in page else True
    assert client.post(f"/admin/cases/casetype/{first.pk}/change/", changed).status_code == 403
    # Saving version 2 unchanged publishes nothing.
    second = CaseType.objects.get(code="housing_information", current=True)
    client.post(f"/admin/cases/casetype/{second.pk}/change/", changed)
    assert CaseType.objects.filter(code="housing_information").count() == 2
    # Adding a kind with a code in use, or a code that is not lowercase, is refused.
    again = client.post("/admin/cases/casetype/add/", {**form, "names_en": "Other"})
    assert (
        again.status_code == 200 and "already has a kind with this code" in again.content.decode()
    )
    odd = client.post("/admin/cases/casetype/add/", {**form, "code": "Housing-Info"})
    assert odd.status_code == 200 and "Use lowercase letters" in odd.content.decode()
    assert CaseType.objects.filter(municipality=gent).count() == 2


class TestCitizensAskForAKindMadeFromData:
    """A kind published in the admin is something a citizen can ask for: in the catalogue,
    on its "ask" page and through the API (a newcomer found nothing created its cases)."""

    def test_from_the_catalogue_to_the_request_page(self, client, gent, jan, housing):
        client.force_login(jan)
        catalogue = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Housing information" in catalogue and "/gent/ask/housing_information" in catalogue
        form = client.get("/gent/ask/housing_information", HTTP_ACCEPT_LANGUAGE="en")
        assert form.status_code == 200 and "Housing information" in form.content.decode()
        empty = client.post("/gent/ask/housing_information", {"text": "  "})
        assert empty.status_code == 400 and not Case.objects.filter(kind=housing.code).exists()
        sent = client.post(
            "/gent/ask/housing_information",
            {"text": "Is Veldstraat 1 in a pre-emption area?", "email": "jan@example.be"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        case = Case.objects.get(kind=housing.code)
        assert (
            sent.status_code == 302 and sent["Location"] == f"/gent/requests/{case.tracking_code}"
        )
        assert case.requester_id == jan.pk and case.contact_email == "jan@example.be"
        assert case.title == "Housing information" and case.status == "received"
        assert case.messages.get().text == "Is Veldstraat 1 in a pre-emption area?"
        page = client.get(sent["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Is Veldstraat 1 in a pre-emption area?" in page

    def test_through_the_api(self, client, gent, jan, housing):
        answer = client.post(
            "/api/v1/m/gent/requests",
            {"kind": "housing_information", "text": "Pre-emption right on Veldstraat 1?"},
            content_type="application/json",
            **bearer(jan),
        )
        assert answer.status_code == 201, answer.content
        assert answer.json()["status"] == "received"
        unknown = client.post(
            "/api/v1/m/gent/requests",
            {"kind": "certificate_order", "text": "x"},  # has its own form: not here
            content_type="application/json",
            **bearer(jan),
        )
        assert unknown.status_code == 404
        services = client.get("/api/v1/municipalities/gent/services").json()
        urls = [e["url"] for s in services for e in s["entries"]]
        assert any(url.endswith("/gent/ask/housing_information") for url in urls)

    def test_an_answer_typed_before_pressing_reply_reaches_the_officer(
        self, client, gent, jan, housing
    ):
        """Jan typed his answer in the message box and pressed "reply": the status moved
        and his words were thrown away (the button was a form of its own)."""
        case = ask(gent, jan, housing)
        clerk = officer(gent, "gent.housing", department="housing")[1]
        case_act(actor=clerk, municipality=gent, case=case, action="look_up")
        case_act(actor=clerk, municipality=gent, case=case, action="ask", reason="Which parcel?")
        client.force_login(jan)
        page = client.get(f"/gent/requests/{case.tracking_code}").content.decode()
        assert page.count('name="action" value="reply"') == 1
        client.post(
            f"/gent/requests/{case.tracking_code}/act",
            {"action": "reply", "text": "Parcel 44021A0123"},
        )
        case.refresh_from_db()
        assert case.status == "looking"
        assert case.messages.get().text == "Parcel 44021A0123"


def test_officers_see_and_answer_messages_on_a_petitions_answer_case(client, gent, jan, every_kind):
    """Sofie wrote on her petition's answer case; the back office page of the petition
    showed no messages, no assignment, no outbox."""
    case = every_kind["petition"]
    client.force_login(jan)
    client.post(
        f"/gent/requests/{case.tracking_code}/act",
        {"action": "message", "text": "When will the council answer?"},
    )
    client.logout()
    clerk_user = officer(gent, "gent.clerk", role="clerk")[0]
    officer_login_client(client, clerk_user)
    page = client.get(f"/gent/{case_path(case, officer=True)}", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "When will the council answer?" in html and "I handle this" in html
    client.post(
        f"/gent/backoffice/requests/{case.tracking_code}/act",
        {"action": "message", "text": "In the March meeting."},
    )
    assert case.messages.filter(author="officer", text="In the March meeting.").exists()


def test_steps_in_quick_succession_make_one_e_mail(gent, jan, housing, settings, mailoutbox):
    """One approval used to send four e-mails within seconds. Only news for the requester
    makes an e-mail (issue 11: received and looking do not), and news that follows other
    news within the quiet time makes one e-mail telling them all."""
    import datetime as dt

    from django.test import TestCase
    from django.utils import timezone

    from eloket.outbox.delivery import outbox_deliver_due

    settings.ELOKET_STATUS_EMAIL_QUIET_SECONDS = 30
    with TestCase.captureOnCommitCallbacks(execute=True):
        case = ask(gent, jan, housing, contact_email="jan@example.be")
    clerk = officer(gent, "gent.housing", department="housing")[1]
    head = officer(gent, "gent.head", role="head", department="civil affairs")[1]
    jan_actor = citizen_actor_of(jan)
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_act(actor=clerk, municipality=gent, case=case, action="look_up")
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_act(actor=clerk, municipality=gent, case=case, action="ask", reason="Which parcel?")
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_act(actor=jan_actor, municipality=gent, case=case, action="reply")
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_act(actor=head, municipality=gent, case=case, action="answer")
    waiting = OutboxMessage.objects.filter(kind="email", ref=f"case:{case.tracking_code}")
    assert waiting.count() == 1 and mailoutbox == []
    assert outbox_deliver_due(timezone.now()) == 0  # not before the quiet time
    assert outbox_deliver_due(timezone.now() + dt.timedelta(seconds=31)) == 1
    (mail,) = mailoutbox
    assert mail.subject.endswith("— answered")
    assert "* question for you:" in mail.body and "Which parcel?" in mail.body
    for not_news in ("We received your question.", "An officer looks it up."):
        assert not_news not in mail.body
