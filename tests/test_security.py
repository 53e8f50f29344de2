"""Attacks tried on Eloket (issue 10), each written as the attack: the request that used
to succeed, and what happens now. Read it as the list of what a security review tried.

(The attacks on the case engine, its API and the outbox are in test_attacks_on_requests.py.)
"""

import pytest
from django.test import TestCase

from conftest import bearer, citizen_user, officer_login_client
from eloket.certificates.services import OrderRequest, order_submit
from eloket.identity.selectors import citizen_actor_of
from eloket.register.models import AccessLogEntry


def place_order(gent, user, subject, delivery="download", kind="residence"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _new = order_submit(
            actor=citizen_actor_of(user),
            municipality=gent,
            order_request=OrderRequest(
                certificate_type=kind,
                subject=subject.national_id,
                language="nl",
                delivery=delivery,
            ),
        )
    case.refresh_from_db()
    return case


# --- 3. Reads of a person's data without an access-log entry


class TestEveryReadIsLogged:
    """An officer downloaded a certificate's PDF (page and API) or printed the postal
    batch: the subject's name, birth, nationality and address, and nothing in the
    subject's access log."""

    def test_an_officer_downloads_the_pdf(self, client, gent, family, seals, make_officer):
        case = place_order(gent, citizen_user(family["Jan"]), family["Jan"])
        clerk = make_officer("gent.clerk", gent)
        officer_login_client(client, clerk)
        answer = client.get(f"/gent/backoffice/orders/{case.tracking_code}/document.pdf")
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")
        by_page = AccessLogEntry.objects.filter(person=family["Jan"], actor_user=clerk)
        assert by_page.count() == 1 and by_page.get().data == ["certificate"]
        assert "Opening certificate" in by_page.get().purpose
        answer = client.get(f"/api/v1/orders/{case.tracking_code}/document", **bearer(clerk))
        assert answer.status_code == 200
        assert by_page.count() == 2

    def test_a_relative_downloads_it_too(self, client, gent, family, seals):
        """Jan's order of Lotte's certificate: Lotte's log says Jan opened it."""
        jan = citizen_user(family["Jan"])
        case = place_order(gent, jan, family["Lotte"], kind="residence")
        before = AccessLogEntry.objects.filter(person=family["Lotte"]).count()
        client.force_login(jan)
        assert client.get(f"/gent/orders/{case.tracking_code}/document.pdf").status_code == 200
        assert AccessLogEntry.objects.filter(person=family["Lotte"]).count() == before + 1
        # The subject downloading their own certificate is not a read by someone else.
        mine = place_order(gent, jan, family["Jan"])
        before = AccessLogEntry.objects.filter(person=family["Jan"]).count()
        assert client.get(f"/gent/orders/{mine.tracking_code}/document.pdf").status_code == 200
        assert AccessLogEntry.objects.filter(person=family["Jan"]).count() == before

    def test_the_postal_batch(self, client, gent, family, seals, make_officer):
        jan = citizen_user(family["Jan"])
        place_order(gent, jan, family["Lotte"], delivery="post")
        clerk = make_officer("gent.clerk", gent)
        officer_login_client(client, clerk)
        batch = client.post("/gent/backoffice/post/", {"action": "print"})
        assert batch["Content-Type"] == "application/pdf"
        logged = AccessLogEntry.objects.filter(actor_user=clerk)
        # The requester's address (for the envelope) and the subject's certificate.
        assert set(logged.values_list("person__first_names", flat=True)) == {"Jan", "Lotte"}
        lotte = logged.get(person=family["Lotte"])
        assert lotte.data == ["certificate"] and lotte.case_ref.startswith("order:")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Nothing here reaches outside the machine."""
    import socket

    real = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise OSError(f"test tried to reach {host}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
