"""The register's access log: every read by someone else is written, none for self-reads;
entries are append-only and hash-chained; `eloket audit verify` finds an edited or a
deleted entry and names it (issue 3)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from conftest import bearer, person_record
from eloket.common.actors import Actor
from eloket.identity.services import citizen_account
from eloket.register.access_log import access_log_verify, access_log_write
from eloket.register.models import AccessLogEntry, Person
from eloket.register.selectors import person_record as read_record


@pytest.fixture
def jan(gent, add_people):
    add_people(gent, person_record(dt.date(1985, 7, 30), 33, first="Jan"))
    return Person.objects.get()


def officer_read(municipality, person, purpose="a check"):
    return read_record(
        municipality=municipality,
        national_id=person.national_id,
        actor=Actor.system("test process", municipality),
        purpose=purpose,
    )


def delete_by_sql(pk):
    """What someone with the database does: the ORM refuses (see below)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM register_accesslogentry WHERE id = %s", [pk])


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=out)
    return out.getvalue()


def test_self_reads_are_not_logged(client, jan):
    user = citizen_account(person=jan, method="oidc")
    client.force_login(user)
    assert client.get("/api/v1/me", **bearer(user)).status_code == 200
    assert client.get("/gent/my/").status_code == 200
    assert AccessLogEntry.objects.count() == 0


def test_the_citizen_sees_who_consulted_and_why(client, gent, jan):
    officer_read(gent, jan, purpose="Checking your residence")
    user = citizen_account(person=jan, method="oidc")
    api = client.get("/api/v1/me/access-log", **bearer(user)).json()
    assert api["count"] == 1
    entry = api["results"][0]
    assert entry["purpose"] == "Checking your residence"
    assert entry["actor"]["kind"] == "system" and entry["actor"]["municipality"] == "gent"
    client.force_login(user)
    page = client.get("/gent/my/access-log", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Checking your residence" in page and "test process" in page


def test_a_citizen_reading_a_household_member_is_logged(gent, add_people, jan):
    add_people(gent, person_record(dt.date(1987, 3, 12), 34, first="Sofie"))
    sofie = Person.objects.get(first_names="Sofie")
    citizen = Actor(kind="citizen", label="Jan", national_id=jan.national_id, country="BE")
    read_record(municipality=gent, national_id=sofie.national_id, actor=citizen, purpose="order")
    read_record(municipality=gent, national_id=jan.national_id, actor=citizen, purpose="")
    assert [e.person for e in AccessLogEntry.objects.all()] == [sofie]


def test_entries_cannot_be_changed_or_deleted_through_the_orm(gent, jan):
    officer_read(gent, jan)
    entry = AccessLogEntry.objects.get()
    entry.purpose = "something else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_querysets_refuse_to_change_or_delete_entries(gent, jan):
    """`QuerySet.update()` and `.delete()` used to write straight past the instance guard."""
    officer_read(gent, jan)
    entries = AccessLogEntry.objects.filter(person=jan)
    for attempt in (
        lambda: entries.update(purpose="nothing to see"),
        lambda: entries.delete(),
        lambda: AccessLogEntry.objects.all().delete(),
        lambda: AccessLogEntry.objects.bulk_update(list(entries), ["purpose"]),
        lambda: entries._raw_delete(entries.db),
        lambda: AccessLogEntry.objects.bulk_create(
            list(entries),
            update_conflicts=True,
            unique_fields=["chain", "sequence"],
            update_fields=["purpose"],
        ),
    ):
        with pytest.raises(PermissionError):
            attempt()
    assert entries.get().purpose == "a check"


def test_verify_passes_on_an_intact_chain(gent, brugge, jan, add_people):
    add_people(brugge, person_record(dt.date(1990, 1, 2), 45, first="Bram"))
    for _ in range(3):
        officer_read(gent, jan)
    officer_read(brugge, Person.objects.get(first_names="Bram"))
    assert access_log_verify() == []
    assert "access log: all 2 chains are intact" in verify()


def test_verify_detects_an_edited_entry_and_names_it(gent, jan):
    for n in range(4):
        officer_read(gent, jan, purpose=f"read {n}")
    second = AccessLogEntry.objects.get(purpose="read 1")
    # Someone with database access rewrites the purpose behind the application's back.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE register_accesslogentry SET purpose = %s WHERE id = %s",
            ["nothing to see", second.pk],
        )
    problems = access_log_verify()
    assert len(problems) == 1
    assert problems[0].entry_id == second.pk and "changed" in problems[0].reason
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=StringIO(), stderr=(err := StringIO()))
    assert f"entry {second.pk}" in err.getvalue()


def test_verify_detects_a_deleted_entry(gent, jan):
    for n in range(4):
        officer_read(gent, jan, purpose=f"read {n}")
    third = AccessLogEntry.objects.get(purpose="read 2")
    delete_by_sql(third.pk)
    problems = access_log_verify()
    assert len(problems) == 1
    assert problems[0].sequence == 3 and "missing" in problems[0].reason


def test_verify_detects_that_the_last_entry_was_deleted(gent, jan):
    for n in range(3):
        officer_read(gent, jan, purpose=f"read {n}")
    last = AccessLogEntry.objects.get(purpose="read 2")
    delete_by_sql(last.pk)
    problems = access_log_verify()
    assert len(problems) == 1 and "missing" in problems[0].reason


def test_concurrent_writers_do_not_fork_the_chain(gent, jan):
    """Appends lock the chain's head row, so each entry links to the one before it."""
    for n in range(10):
        access_log_write(person=jan, actor=Actor.system("t"), data=["identity"], purpose=str(n))
    sequences = list(AccessLogEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, 11))
    assert access_log_verify() == []


# --- Issue 11, 5: the citizen's view groups repeated reads and says what the case is.


def _order_in_review(gent, requester, subject):
    from django.test import TestCase

    from eloket.certificates.services import OrderRequest, order_submit
    from eloket.identity.selectors import citizen_actor_of

    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _new = order_submit(
            actor=citizen_actor_of(requester),
            municipality=gent,
            order_request=OrderRequest(
                certificate_type="birth_extract",
                subject=subject.national_id,
                language="en",
                delivery="download",
            ),
        )
    case.refresh_from_db()
    return case


def _open_order(gent, clerk_user, case, times=1):
    from eloket.certificates.selectors import order_with_subject_record
    from eloket.identity.selectors import officer_actor, officer_role_in

    actor = officer_actor(officer_role_in(clerk_user, gent))
    for _ in range(times):
        order_with_subject_record(municipality=gent, actor=actor, tracking_code=case.tracking_code)


def test_an_officer_opening_an_order_three_times_is_one_line_that_names_the_order(
    client, gent, family, seals, make_officer
):
    """One officer opening an order three times wrote three identical rows that showed
    "order:WRDN53W9". The log keeps the three reads; the citizen reads one line, "3 times",
    with the order in words and a link to it."""
    from conftest import citizen_user
    from eloket.register.access_log import access_log_summary

    jan = citizen_user(family["Jan"])
    case = _order_in_review(gent, jan, family["Jan"])  # Jan's own birth extract
    clerk = make_officer("gent.clerk", gent)
    _open_order(gent, clerk, case, times=3)
    assert AccessLogEntry.objects.filter(person=family["Jan"]).count() == 3  # every read kept

    (line,) = access_log_summary(person=family["Jan"], reader_user_id=jan.pk)
    assert line.count == 3 and line.first.at <= line.last.at
    assert line.about is not None and line.about.path == f"orders/{case.tracking_code}"

    client.force_login(jan)
    page = client.get("/gent/my/access-log", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("<tr>") == 2  # the header and one line
    assert "3 times" in page
    words = f"Extract of a birth certificate, order {case.display_code}"
    assert f'<a href="/gent/orders/{case.tracking_code}">{words}</a>' in page
    assert f"order:{case.tracking_code}" not in page
    assert client.get(f"/gent/orders/{case.tracking_code}").status_code == 200


def test_reads_by_another_officer_or_on_another_day_are_lines_of_their_own(
    client, gent, family, seals, make_officer, monkeypatch
):
    import datetime as dt

    from django.utils import timezone

    from conftest import citizen_user
    from eloket.register.access_log import access_log_summary

    jan = citizen_user(family["Jan"])
    case = _order_in_review(gent, jan, family["Jan"])
    clerk, other = make_officer("gent.clerk", gent), make_officer("gent.other", gent)
    _open_order(gent, clerk, case, times=2)
    _open_order(gent, other, case)
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(days=1))
    _open_order(gent, clerk, case)
    monkeypatch.undo()
    officer_read(gent, family["Jan"], purpose="Checking your residence")  # no case: alone
    officer_read(gent, family["Jan"], purpose="Checking your residence")

    lines = access_log_summary(person=family["Jan"], reader_user_id=jan.pk)
    assert [(line.last.actor_label, line.count) for line in lines] == [
        ("Gent.Clerk Test", 1),  # the next day
        ("test process", 1),
        ("test process", 1),
        ("Gent.Other Test", 1),
        ("Gent.Clerk Test", 2),
    ]


def test_an_order_someone_else_made_is_named_but_not_linked(
    client, gent, family, seals, make_officer
):
    """Lotte's birth extract was ordered by her father: she reads which order it was,
    without a link to a page that is not hers."""
    from conftest import citizen_user

    case = _order_in_review(gent, citizen_user(family["Jan"]), family["Lotte"])
    _open_order(gent, make_officer("gent.clerk", gent), case, times=2)
    client.force_login(citizen_user(family["Lotte"]))
    page = client.get("/gent/my/access-log", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Extract of a birth certificate, order {case.display_code}" in page
    assert f"orders/{case.tracking_code}" not in page and "2 times" in page
