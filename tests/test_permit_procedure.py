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
