"""Approval chains (issue 13, points 1 and 2): chains as data in a service's definition
(sequential, all of, any of, k of n, conditional steps), the generic decision's approve
drafting a grant on a service with a chain, approving, returning and resubmitting,
delegation, the refusals (own draft, twice, wrong department, other municipality),
deadlines with a test clock, and the API."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from conftest import bearer, citizen_user
from eloket.approvals.chain import steps_for
from eloket.approvals.models import ApprovalAct, DraftDecision
from eloket.approvals.selectors import approvals_waiting_for
from eloket.approvals.services import (
    approval_act,
    approval_submit,
    approvals_remind_and_escalate,
    delegation_create,
)
from eloket.cases.models import StatusChange
from eloket.cases.services import case_act
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import PermissionDenied
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor
from eloket.outbox.models import OutboxMessage
from eloket.services.definition import service_file_problems
from eloket.services.services import service_publish, service_request_submit


def _field(name, type_, **extra):
    return {"name": name, "type": type_, "label": {"en": name}, **extra}


def definition(chain=None, code="party", department="events"):
    d = {
        "code": code,
        "names": {"en": "Party"},
        "department": department,
        "audience": "residents",
        "fee": {"amount": 25, "currency": "EUR"},
        "form": {
            "steps": [
                {
                    "name": "about",
                    "title": {"en": "About"},
                    "fields": [
                        _field("title", "text", required=True),
                        _field("visitors", "number", integer=True, min=1, max=100000),
                    ],
                }
            ]
        },
    }
    if chain:
        d["approval_chain"] = chain
    return d


HEAD = {"role": "head", "department": "events"}
CHAIN = {
    "steps": [
        {"name": "head", "approvers": [HEAD], "deadline_days": 5, "reminder_days": 3},
        {
            "name": "board",
            "approvers": [{"user": "ann"}, {"user": "bob"}, {"user": "cas"}],
            "require": 2,
            "condition": {"field": "visitors", "above": 1000},
        },
        {"name": "admin", "approvers": [{"role": "admin"}], "require": "any"},
    ]
}


def _officer(make_officer, username, municipality, department="", role="clerk"):
    user = make_officer(username, municipality, role=role)
    OfficerRole.objects.filter(user=user).update(department=department)
    user.email = f"{username}@gent.example"
    user.save(update_fields=["email"])
    return officer_actor(OfficerRole.objects.get(user=user, municipality=municipality))


@pytest.fixture
def people(gent, brugge, family, make_officer):
    return {
        "clerk": _officer(make_officer, "eva", gent, "events"),
        "clerk2": _officer(make_officer, "emma", gent, "events"),
        "planner": _officer(make_officer, "piet", gent, "planning"),
        "head": _officer(make_officer, "hilde", gent, "events", role="head"),
        "planning_head": _officer(make_officer, "paul", gent, "planning", role="head"),
        "ann": _officer(make_officer, "ann", gent, "events"),
        "bob": _officer(make_officer, "bob", gent, "events"),
        "cas": _officer(make_officer, "cas", gent, "events"),
        "admin": _officer(make_officer, "ada", gent, "", role="admin"),
        "brugge": _officer(make_officer, "bram", brugge, "events", role="head"),
        "jan": citizen_user(family["Jan"]),
    }


def _service(gent, chain=CHAIN):
    return service_publish(
        actor=Actor.system("test", gent), municipality=gent, definition=definition(chain)
    )


def _request(gent, people, visitors=2000):
    case, _new = service_request_submit(
        actor=citizen_actor_of(people["jan"]),
        municipality=gent,
        code="party",
        answers={"title": "Street party", "visitors": visitors},
    )
    return case


def _approve(gent, case, actor, action="approve", comment=""):
    return approval_act(actor=actor, municipality=gent, case=case, action=action, comment=comment)


def _unchanged(case, acts):
    case.refresh_from_db()
    assert case.status == "submitted"
    assert ApprovalAct.objects.count() == acts


def test_steps_for_conditions_and_shapes():
    assert [s["name"] for s in steps_for(CHAIN, {"visitors": 2000})] == ["head", "board", "admin"]
    assert [s["name"] for s in steps_for(CHAIN, {"visitors": 1000})] == ["head", "admin"]
    assert [s["name"] for s in steps_for(CHAIN, {"visitors": "lots"})] == ["head", "admin"]
    assert steps_for(None, {}) == []


def test_definition_schema_and_problems():
    assert service_file_problems(definition(CHAIN)) == []
    bad = definition(
        {
            "steps": [
                {"name": "a", "approvers": [HEAD], "require": 2},
                {"name": "a", "approvers": [HEAD], "condition": {"field": "title", "above": 1}},
                {"name": "b", "approvers": [HEAD], "deadline_days": 2, "reminder_days": 2},
            ]
        }
    )
    paths = [p for p, _m in service_file_problems(bad)]
    assert paths == [
        "/approval_chain/steps/0/require",
        "/approval_chain/steps/1/name",
        "/approval_chain/steps/1/condition/field",
        "/approval_chain/steps/2/reminder_days",
    ]
    both = definition({"steps": [{"name": "a", "approvers": [{"role": "head", "user": "x"}]}]})
    assert service_file_problems(both)


def test_a_chain_walked_to_the_decision(gent, people):
    _service(gent)
    case = _request(gent, people)
    clerk = people["clerk"]
    # The generic decision's approve drafts a grant: the case is not decided yet.
    case = case_act(actor=clerk, municipality=gent, case=case, action="approve", reason="Granted.")
    assert case.status == "submitted"
    draft = DraftDecision.objects.get(case=case)
    assert (draft.outcome, draft.status, draft.step) == ("grant", "pending", 0)
    assert [s["name"] for s in draft.steps] == ["head", "board", "admin"]
    assert [d.pk for d in approvals_waiting_for(municipality=gent, user=_user("hilde"))] == [
        draft.pk
    ]
    assert approvals_waiting_for(municipality=gent, user=_user("ann")) == []
    # Step 1: the head of events. The clerk may not approve their own draft.
    with pytest.raises(PermissionDenied):
        _approve(gent, case, clerk)
    # Nor may the head of another department.
    with pytest.raises(PermissionDenied):
        _approve(gent, case, people["planning_head"])
    _approve(gent, case, people["head"], comment="Fine by me.")
    draft.refresh_from_db()
    assert draft.step == 1
    # Step 2: two of ann, bob, cas; the head is not asked twice.
    with pytest.raises(PermissionDenied):
        _approve(gent, case, people["head"])
    _approve(gent, case, people["ann"])
    with pytest.raises(PermissionDenied):  # once per chain
        _approve(gent, case, people["ann"])
    _approve(gent, case, people["cas"])
    draft.refresh_from_db()
    assert draft.step == 2
    assert approvals_waiting_for(municipality=gent, user=_user("bob")) == []
    # Step 3: any administrator; the last approval decides.
    _approve(gent, case, people["admin"])
    case.refresh_from_db()
    draft.refresh_from_db()
    assert case.status == "approved" and draft.status == "approved"
    lines = list(StatusChange.objects.filter(case=case).values_list("action", flat=True))
    assert lines == [
        "",
        "approval.submit",
        "approval.approve",
        "approval.approve",
        "approval.approve",
        "approval.approve",
        "approve",
    ]
    # The timeline names who approved, never the comments.
    params = [c.params for c in StatusChange.objects.filter(case=case, action="approval.approve")]
    assert params[0]["name"] == people["head"].label and "Fine" not in json.dumps(params)
    # The role is put in the reader's words when read.
    from django.utils import translation

    from eloket.cases.display import timeline_rows
    from eloket.cases.selectors import timeline

    for language, words in (
        ("en", "head of department, events"),
        ("fr", "chef de service, events"),
    ):
        with translation.override(language):
            rows = str(timeline_rows(list(timeline(municipality=gent, case=case)), case))
        assert words in rows, (language, rows[:2000])


def _user(username):
    from django.contrib.auth.models import User

    return User.objects.get(username=username)


def test_without_a_chain_or_below_the_condition_it_decides_at_once(gent, people):
    _service(
        gent,
        chain={
            "steps": [
                {
                    "name": "head",
                    "approvers": [HEAD],
                    "condition": {"field": "visitors", "above": 1000},
                }
            ]
        },
    )
    small = _request(gent, people, visitors=200)
    small = case_act(actor=people["clerk"], municipality=gent, case=small, action="approve")
    assert small.status == "approved" and not DraftDecision.objects.exists()
    with pytest.raises(ApplicationError):  # nothing to approve: decided at once
        approval_submit(
            actor=people["clerk"],
            municipality=gent,
            case=_request(gent, people, 10),
            outcome="grant",
            text="",
        )
    big = _request(gent, people, visitors=1001)
    big = case_act(actor=people["clerk"], municipality=gent, case=big, action="approve")
    assert big.status == "submitted" and DraftDecision.objects.filter(case=big).exists()


def test_all_of_any_of_and_return_and_resubmit(gent, people):
    _service(
        gent,
        chain={
            "steps": [
                {"name": "pair", "approvers": [{"user": "ann"}, {"user": "bob"}]},
                {"name": "one", "approvers": [{"user": "cas"}, HEAD], "require": "any"},
            ]
        },
    )
    case = _request(gent, people)
    approval_submit(
        actor=people["clerk"], municipality=gent, case=case, outcome="refuse", text="Too loud."
    )
    _approve(gent, case, people["ann"])
    draft = DraftDecision.objects.get(case=case)
    assert draft.step == 0  # all of: bob too
    _approve(gent, case, people["bob"])
    draft.refresh_from_db()
    assert draft.step == 1
    # Returning needs a reason, and goes back to the previous step: its approvals again.
    acts = ApprovalAct.objects.count()
    with pytest.raises(ApplicationError):
        _approve(gent, case, people["cas"], action="return")
    assert ApprovalAct.objects.count() == acts
    _approve(gent, case, people["cas"], action="return", comment="Say when it ends.")
    draft.refresh_from_db()
    assert (draft.step, draft.status) == (0, "pending")
    _approve(gent, case, people["ann"], action="return", comment="Agreed with cas.")
    draft.refresh_from_db()
    assert draft.status == "returned"
    with pytest.raises(ApplicationError):  # nothing waits for approval now
        _approve(gent, case, people["bob"])
    # The clerk edits and resubmits; the chain starts again at the first step.
    approval_submit(
        actor=people["clerk"],
        municipality=gent,
        case=case,
        outcome="refuse",
        text="Too loud after 22:00.",
    )
    draft.refresh_from_db()
    assert (draft.status, draft.step, draft.text) == ("pending", 0, "Too loud after 22:00.")
    with pytest.raises(ApplicationError):  # one draft at a time
        approval_submit(
            actor=people["clerk2"], municipality=gent, case=case, outcome="grant", text=""
        )
    _approve(gent, case, people["ann"])
    _approve(gent, case, people["bob"])
    _approve(gent, case, people["head"])  # any one of cas and the head
    case.refresh_from_db()
    assert case.status == "rejected"
    assert StatusChange.objects.filter(case=case, action="approval.return").count() == 2


def test_delegation_records_both_names_within_its_window(gent, people):
    _service(gent, chain={"steps": [{"name": "head", "approvers": [HEAD]}]})
    case = _request(gent, people)
    approval_submit(actor=people["clerk"], municipality=gent, case=case, outcome="grant", text="")
    now = timezone.now()
    # A delegation that has not started, or has ended, gives nothing.
    delegation_create(
        actor=people["head"],
        municipality=gent,
        delegate_username="piet",
        starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=3),
    )
    delegation_create(
        actor=people["head"],
        municipality=gent,
        delegate_username="piet",
        starts_at=now - dt.timedelta(days=3),
        ends_at=now - dt.timedelta(days=1),
    )
    assert approvals_waiting_for(municipality=gent, user=_user("piet")) == []
    with pytest.raises(PermissionDenied):
        _approve(gent, case, people["planner"])
    for bad in ("hilde", "bram", "nobody"):
        with pytest.raises(ApplicationError):
            delegation_create(
                actor=people["head"],
                municipality=gent,
                delegate_username=bad,
                starts_at=now,
                ends_at=now + dt.timedelta(days=1),
            )
    delegation_create(
        actor=people["head"],
        municipality=gent,
        delegate_username="piet",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=1),
    )
    assert len(approvals_waiting_for(municipality=gent, user=_user("piet"))) == 1
    _approve(gent, case, people["planner"])
    act = ApprovalAct.objects.get(kind="approve")
    assert (act.user.username, act.on_behalf_of.username) == ("piet", "hilde")
    case.refresh_from_db()
    assert case.status == "approved"
    # The decision is the delegator's.
    assert StatusChange.objects.get(case=case, action="approve").actor_user_id == _user("hilde").pk


def test_other_municipality_is_refused(gent, brugge, people):
    _service(gent, chain={"steps": [{"name": "head", "approvers": [HEAD]}]})
    case = _request(gent, people)
    approval_submit(actor=people["clerk"], municipality=gent, case=case, outcome="grant", text="")
    acts = ApprovalAct.objects.count()
    with pytest.raises(PermissionDenied):
        _approve(gent, case, people["brugge"])
    with pytest.raises(ApplicationError):  # the case is not Brugge's
        approval_act(actor=people["brugge"], municipality=brugge, case=case, action="approve")
    with pytest.raises(PermissionDenied):  # a clerk of another department drafts nothing
        approval_submit(
            actor=people["planner"],
            municipality=gent,
            case=_request(gent, people),
            outcome="grant",
            text="",
        )
    _unchanged(case, acts)


def test_reminder_and_escalation_with_a_test_clock(gent, people):
    _service(gent)
    case = _request(gent, people)
    approval_submit(actor=people["clerk"], municipality=gent, case=case, outcome="grant", text="")
    system = Actor.system("tick", gent)
    start = timezone.now()

    def mails():
        return sorted(
            m.payload["to"][0]
            for m in OutboxMessage.objects.filter(kind="email", ref__startswith="approval:")
        )

    assert (
        approvals_remind_and_escalate(
            actor=system, municipality=gent, now=start + dt.timedelta(days=2)
        )
        == 0
    )
    assert (
        approvals_remind_and_escalate(
            actor=system, municipality=gent, now=start + dt.timedelta(days=3, minutes=1)
        )
        == 1
    )
    assert mails() == ["hilde@gent.example"]
    assert (
        approvals_remind_and_escalate(
            actor=system, municipality=gent, now=start + dt.timedelta(days=4)
        )
        == 0
    )
    # At the deadline: the head of the department is told, once, and the timeline says so.
    assert (
        approvals_remind_and_escalate(
            actor=system, municipality=gent, now=start + dt.timedelta(days=5, minutes=1)
        )
        == 1
    )
    assert (
        approvals_remind_and_escalate(
            actor=system, municipality=gent, now=start + dt.timedelta(days=9)
        )
        == 0
    )
    assert StatusChange.objects.filter(case=case, action="approval.escalate").count() == 1
    with pytest.raises(PermissionDenied):  # another municipality's tick
        approvals_remind_and_escalate(
            actor=Actor.system("tick", people["brugge"].municipality), municipality=gent, now=start
        )


def test_library_event_permit_needs_a_chain_only_above_1000_visitors(gent, people):
    from eloket.services.library import library_definition

    steps = library_definition("event_permit")["approval_chain"]["steps"]
    assert steps_for({"steps": steps}, {"visitors": 1000}) == []
    assert [s["name"] for s in steps_for({"steps": steps}, {"visitors": 1001})] == [
        "head_of_events"
    ]


def test_api_queue_draft_approval_and_delegation(client, gent, brugge, people):
    _service(gent, chain={"steps": [{"name": "head", "approvers": [HEAD]}]})
    case = _request(gent, people)
    base = "/api/v1/m/gent/backoffice"
    url = f"{base}/requests/{case.tracking_code}"
    headers = {u: bearer(_user(u)) for u in ("eva", "hilde", "piet", "bram")}

    def post(path, body, who):
        return client.post(path, json.dumps(body), content_type="application/json", **headers[who])

    answer = post(f"{url}/draft-decision", {"outcome": "grant", "text": "Granted."}, "eva")
    assert answer.status_code == 200, answer.content
    assert answer.json()["steps"] == ["head"] and answer.json()["status"] == "pending"
    queue = client.get(f"{base}/approvals", **headers["hilde"]).json()
    assert [d["tracking_code"] for d in queue] == [case.tracking_code]
    assert client.get(f"{base}/approvals", **headers["eva"]).json() == []
    assert post(f"{url}/approval", {"action": "approve"}, "eva").status_code == 403
    assert post(f"{url}/approval", {"action": "approve"}, "piet").status_code == 404
    assert client.get("/api/v1/m/gent/backoffice/approvals", **headers["bram"]).status_code == 403
    assert post(f"{url}/approval", {"action": "return"}, "hilde").status_code == 400
    done = post(f"{url}/approval", {"action": "approve", "comment": "OK"}, "hilde")
    assert done.status_code == 200 and done.json()["case_status"] == "approved"
    delegated = post(
        f"{base}/delegations",
        {
            "delegate": "piet",
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2026-01-08T00:00:00Z",
        },
        "hilde",
    )
    assert delegated.status_code == 200 and delegated.json()["delegator"] == "hilde"
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/m/{slug}/backoffice/approvals" in schema["paths"]


def test_pages_walk_a_chain(client, gent, people):
    from django.test import Client

    from conftest import officer_login_client

    _service(gent, chain={"steps": [{"name": "head", "approvers": [HEAD]}]})
    case = _request(gent, people)
    officer_login_client(client, _user("eva"))
    client.post(
        f"/gent/backoffice/requests/{case.tracking_code}/act",
        {"action": "approve", "reason": "Granted."},
    )
    case.refresh_from_db()
    assert case.status == "submitted" and DraftDecision.objects.filter(case=case).exists()
    detail = client.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    assert 'id="approval"' in detail and "stap 1 van 1" in detail  # Gent speaks Dutch
    # The clerk's own queue is empty; posting anyway changes nothing.
    page = client.get("/gent/backoffice/approvals/").content.decode()
    assert case.display_code not in page
    client.post("/gent/backoffice/approvals/", {"code": case.tracking_code, "action": "approve"})
    assert ApprovalAct.objects.filter(kind="approve").count() == 0
    head = Client()
    officer_login_client(head, _user("hilde"))
    page = head.get("/gent/backoffice/approvals/").content.decode()
    assert case.display_code in page and "Granted." in page
    head.post("/gent/backoffice/approvals/", {"code": case.tracking_code, "action": "return"})
    assert DraftDecision.objects.get(case=case).status == "pending"  # a return needs a reason
    head.post(
        "/gent/backoffice/approvals/",
        {"code": case.tracking_code, "action": "approve", "comment": "OK"},
    )
    case.refresh_from_db()
    assert case.status == "approved"
    # Delegating from the page.
    head.post(
        "/gent/backoffice/approvals/",
        {"action": "delegate", "delegate": "piet", "starts": "2026-12-01", "ends": "2026-12-10"},
    )
    assert (
        "piet" in head.get("/gent/backoffice/approvals/").content.decode()
        or "Piet" in head.get("/gent/backoffice/approvals/").content.decode()
    )


def test_a_case_decided_otherwise_leaves_no_draft_in_the_queues(gent, people):
    _service(gent, chain={"steps": [{"name": "head", "approvers": [HEAD]}]})
    case = _request(gent, people)
    approval_submit(actor=people["clerk"], municipality=gent, case=case, outcome="grant", text="")
    assert approvals_waiting_for(municipality=gent, user=_user("hilde"))
    case_act(
        actor=people["clerk"],
        municipality=gent,
        case=case,
        action="reject",
        reason="Withdrawn by phone.",
    )
    assert approvals_waiting_for(municipality=gent, user=_user("hilde")) == []
