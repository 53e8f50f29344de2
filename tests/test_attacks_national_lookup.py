"""Attacks on a citizen's order about a relative only the national register holds
(issue 14, point 5), each written as the attack: learning about a number that is not a
relative (the refusal, a living person's name), trying number after number, making Eloket
ask about someone else's relatives, finding the number in a URL, a log line or another
municipality's pages. The real peer process answers (test_messaging_lookup's)."""

import datetime as dt
import logging

import pytest
from django.test import Client

from conftest import bearer, citizen_user, officer_login_client
from eloket.cases.models import Case
from eloket.certificates.models import CertificateOrder
from eloket.common.errors import ApplicationError
from eloket.register.models import Person
from eloket.register.national_ids import make_belgian_number
from test_certificates_national import (  # noqa: F401 (fixtures)
    FATHER,
    MOTHER,
    death_extract,
    jan,
    lookups,
    registry,
)
from test_messaging_lookup import JAN, configured, peer, pki  # noqa: F401 (fixtures)


@pytest.mark.django_db
def test_a_stranger_learns_nothing_of_a_number(registry, gent, jan):  # noqa: F811
    """Pieter, no relative, asks about Jan's dead father, Jan's living mother and a number
    nobody has: three times the very same words; no name, nothing written."""
    pieter = citizen_user(Person.objects.get(first_names="Pieter"))
    nobody = make_belgian_number(dt.date(1950, 1, 1), 997)
    answers = []
    for number in (FATHER, MOTHER, nobody):
        with pytest.raises(ApplicationError) as refused:
            death_extract(gent, pieter, number)
        answers.append((refused.value.code, str(refused.value)))
    assert len(set(answers)) == 1 and answers[0][0] == "not_allowed_for_subject"
    assert "Rita" not in answers[0][1] and "Marc" not in answers[0][1]
    assert Case.objects.count() == 0 and CertificateOrder.objects.count() == 0


@pytest.mark.django_db
def test_eloket_asks_only_for_the_logged_in_citizen(registry, gent, jan, monkeypatch):  # noqa: F811
    """Whatever the order says (the API takes no "relative of"), the question carries the
    logged-in citizen's own number: Pieter cannot have the register answer him as if he
    were Jan. (The bytes on the wire are looked at on their way to the real peer.)"""
    from eloket.messaging import lookup, wire

    sent: list[bytes] = []
    real_post = lookup._post
    monkeypatch.setattr(lookup, "_post", lambda data: sent.append(data) or real_post(data))
    pieter = Person.objects.get(first_names="Pieter")
    with pytest.raises(ApplicationError):
        death_extract(gent, citizen_user(pieter), FATHER)
    assert len(sent) == 1
    body = wire.read(wire.parse(sent[0], max_bytes=10**6)).body
    assert body["NationalNumber"] == FATHER and body["RelativeOf"] == pieter.national_id
    assert JAN not in sent[0].decode()


@pytest.mark.django_db
def test_trying_number_after_number_is_stopped(registry, gent, jan, settings, add_people):  # noqa: F811
    """Attack: a logged-in citizen tries number after number (the form, or the API) to find
    out who is a relative, who is alive, who lives in the municipality. Each question about
    someone else, asked of the national register or answered from the municipality's own
    register, costs the same; past the hourly budget the order is refused and the register
    is not asked."""
    settings.ELOKET_RELATIVE_LOOKUP_RATE = 3
    pieter = citizen_user(Person.objects.get(first_names="Pieter"))
    numbers = [make_belgian_number(dt.date(1950, 1, 1), 901 + 2 * i) for i in range(2)]
    resident = Person.objects.get(first_names="Jan").national_id  # held by Gent, no relative
    for number in (*numbers, resident):
        with pytest.raises(ApplicationError) as refused:
            death_extract(gent, pieter, number)
        assert refused.value.code == "not_allowed_for_subject"
    asked = len(lookups())
    assert asked == 2 * 2  # the two unknown numbers went to the register, Jan did not
    with pytest.raises(ApplicationError) as refused:
        death_extract(gent, pieter, FATHER)
    assert refused.value.code == "rate_limited" and refused.value.status == 429
    assert len(lookups()) == asked  # not asked
    # Jan, another citizen, has his own budget: his father's order goes through.
    case = death_extract(gent, jan, FATHER)
    assert case.title.endswith("Marc Peeters")


@pytest.mark.django_db
def test_the_number_is_in_no_url_log_line_or_other_municipalitys_page(
    registry,  # noqa: F811
    gent,
    jan,  # noqa: F811
    client,
    make_officer,
    make_municipality,
    caplog,
    seals,
):
    caplog.set_level(logging.DEBUG)
    client.force_login(jan)
    form = "/gent/certificates/death_extract/order"
    fields = {"subject": "other", "subject_number": FATHER, "language": "nl",
              "delivery": "download", "email": "jan@example.org"}  # fmt: skip
    from django.core import mail
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        confirm = client.post(form, {**fields, "form_token": "t9", "action": "confirm"})
    assert confirm.status_code == 302 and FATHER not in confirm["Location"]
    case = Case.objects.get()
    from eloket.certificates.services import order_decide
    from eloket.identity.selectors import officer_actor, officer_role_in

    gent_clerk = make_officer("gent.clerk", gent)
    with TestCase.captureOnCommitCallbacks(execute=True):
        order_decide(
            actor=officer_actor(officer_role_in(gent_clerk, gent)),
            municipality=gent,
            case=case,
            decision="approve",
        )
    assert mail.outbox, "the e-mail telling Jan the outcome"
    for message in mail.outbox:  # the status e-mails of the order
        assert (
            FATHER not in f"{message.subject}{message.body}{getattr(message, 'alternatives', '')}"
        )
    for record in caplog.records:
        # Nor what the answer said (the formatter masks numbers, not death acts or names).
        for secret in (FATHER, JAN, "11002-2025-D-0412"):
            assert secret not in record.getMessage()
    # An officer of another municipality: not found, nothing of the order.
    other = make_municipality("elders")
    clerk = make_officer("elders.clerk", other, role="admin")
    stranger = officer_login_client(Client(), clerk)
    for url in (
        f"/elders/backoffice/orders/{case.tracking_code}",
        f"/gent/backoffice/orders/{case.tracking_code}",
    ):
        page = stranger.get(url)
        assert page.status_code in (302, 403, 404)
        assert b"Marc" not in page.content and FATHER.encode() not in page.content
    for slug in ("elders", "gent"):
        api = Client().get(
            f"/api/v1/m/{slug}/backoffice/orders/{case.tracking_code}", **bearer(clerk)
        )
        assert api.status_code in (403, 404)
        assert b"Marc" not in api.content and FATHER.encode() not in api.content
