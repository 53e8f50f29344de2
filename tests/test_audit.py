"""The audit trail (issue 9): one append-only, hash-chained table written by every service
that changes what a citizen or an auditor cares about; document status changes are rows;
petitions and forum phases keep their history; `eloket audit verify` checks both chains."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase

from conftest import citizen_user, officer_login_client, person_record
from eloket.audit.models import AuditEvent
from eloket.common.actors import Actor
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor, officer_role_in


def actions(**filters):
    return list(
        AuditEvent.objects.filter(**filters).order_by("sequence").values_list("action", flat=True)
    )


def test_role_changes_in_the_admin_are_audited(client, gent, make_officer):
    admin = make_officer("gent.admin", gent, role="admin")
    clerk = make_officer("gent.clerk", gent)
    officer_login_client(client, admin)
    role = OfficerRole.objects.get(user=clerk)
    form = {
        "username": "gent.clerk",
        "first_name": "Gent.Clerk",
        "last_name": "Test",
        "email": "",
        "is_active": "on",
        "new_password": "",
        "officer_roles-TOTAL_FORMS": "1",
        "officer_roles-INITIAL_FORMS": "1",
        "officer_roles-MIN_NUM_FORMS": "0",
        "officer_roles-MAX_NUM_FORMS": "1000",
        "officer_roles-0-id": str(role.pk),
        "officer_roles-0-user": str(clerk.pk),
        "officer_roles-0-municipality": str(gent.pk),
        "officer_roles-0-role": "head",
        "officer_roles-0-department": "permits",
    }
    answer = client.post(f"/admin/identity/officer/{clerk.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    role.refresh_from_db()
    assert (role.role, role.department) == ("head", "permits")
    event = AuditEvent.objects.get(action="officer.role")
    assert event.object_ref == "gent.clerk" and event.actor_label == "Gent.Admin Test"
    assert event.data == {
        "from": {"role": "clerk", "department": ""},
        "to": {"role": "head", "department": "permits"},
    }
    form["officer_roles-0-DELETE"] = "on"
    client.post(f"/admin/identity/officer/{clerk.pk}/change/", form)
    assert not OfficerRole.objects.filter(user=clerk).exists()
    assert actions(object_ref="gent.clerk") == ["officer.role", "officer.role_removed"]
    # The administrator reads the trail in the admin.
    listing = client.get("/admin/audit/auditevent/").content.decode()
    assert "officer.role_removed" in listing


def test_revocation_and_supersession_are_rows_and_events(gent, family, seals, make_officer):
    from eloket.certificates.services import OrderRequest, order_submit
    from eloket.documents.models import DocumentStatusChange, IssuedDocument
    from eloket.documents.services import document_revoke
    from eloket.register.services import person_move

    jan = citizen_user(family["Jan"])
    for _n in range(2):
        with TestCase.captureOnCommitCallbacks(execute=True):
            order_submit(
                actor=citizen_actor_of(jan),
                municipality=gent,
                order_request=OrderRequest(
                    certificate_type="residence",
                    subject=family["Jan"].national_id,
                    language="nl",
                    delivery="download",
                ),
            )
    first, second = IssuedDocument.objects.order_by("pk")
    clerk = officer_actor(officer_role_in(make_officer("gent.clerk", gent), gent))
    document_revoke(actor=clerk, municipality=gent, document=first, reason="Made in error")
    with TestCase.captureOnCommitCallbacks(execute=True):
        person_move(
            actor=Actor.system("registry update", gent),
            municipality=gent,
            national_id=family["Jan"].national_id,
            street="Korenmarkt",
            house_number="9",
            postcode="9000",
            municipality_name="Gent",
            moved_on=dt.date(2026, 11, 1),
        )
    rows = list(
        DocumentStatusChange.objects.order_by("pk").values_list(
            "document_id", "from_status", "to_status"
        )
    )
    # The revoked one stays revoked; the other is superseded by the move.
    assert rows == [(first.pk, "valid", "revoked"), (second.pk, "valid", "superseded")]
    assert actions(object_type="document") == ["document.revoked", "document.superseded"]
    assert actions(object_type="person") == ["register.move"]
    # Never a national number in the trail.
    assert not AuditEvent.objects.filter(object_ref__contains=family["Jan"].national_id).exists()


def test_petition_and_forum_histories_and_moderation(gent, add_people, make_officer):
    from eloket.forum import services as forum
    from eloket.forum.models import Phase, TopicPhaseChange
    from eloket.petitions import services as petitions
    from eloket.petitions.models import PetitionStatusChange
    from eloket.register.models import Person

    add_people(
        gent,
        *[
            person_record(
                dt.date(1970 + i, 1, 1),
                50 + i,
                first=f"P{i}",
                household=f"H{i}",
                relation="reference",
            )
            for i in range(3)
        ],
    )
    people = [citizen_actor_of(citizen_user(p)) for p in Person.objects.order_by("pk")]
    clerk = officer_actor(officer_role_in(make_officer("gent.clerk", gent), gent))
    petition = petitions.petition_start(actor=people[0], municipality=gent, title="T", text="t")
    for person in people[1:3]:
        petitions.petition_join(actor=person, municipality=gent, petition=petition)
    petitions.petition_submit(actor=people[0], municipality=gent, petition=petition)
    petitions.petition_admit(
        actor=clerk, municipality=gent, petition=petition, admissible=False, reason="Not ours"
    )
    steps = list(
        PetitionStatusChange.objects.filter(petition=petition).values_list(
            "from_status", "to_status", "actor_label"
        )
    )
    assert [s[:2] for s in steps] == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "inadmissible"),
    ]
    assert steps[-1][2] == clerk.label
    assert actions(object_type="petition") == ["petition.refuse"]

    topic = forum.topic_create(
        actor=clerk, municipality=gent, title={"nl": "Plein"}, phase=Phase.OPEN
    )
    opinion = forum.opinion_post(actor=people[0], municipality=gent, topic=topic, text="Meer groen")
    forum.opinion_moderate(
        actor=clerk, municipality=gent, opinion=opinion, action="hide", reason="Reclame"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        forum.topic_set_phase(actor=clerk, municipality=gent, topic=topic, phase=Phase.ANALYSIS)
    phases = list(
        TopicPhaseChange.objects.filter(topic=topic).values_list("from_phase", "to_phase")
    )
    assert phases == [("", "open"), ("open", "analysis")]
    assert actions(municipality=gent, object_type__in=["topic", "opinion"]) == [
        "forum.hide",
        "forum.phase",
    ]


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=out)
    return out.getvalue()


def test_audit_verify_checks_both_chains(gent, brugge, make_officer):
    from eloket.audit.services import audit_record

    for municipality in (gent, brugge):
        for n in range(3):
            audit_record(
                actor=Actor.system("t", municipality),
                municipality=municipality,
                action="test.event",
                object_type="test",
                object_ref=str(n),
            )
    report = verify()
    assert "audit trail: all 2 chains are intact" in report
    assert "access log: all" in report
    second = AuditEvent.objects.get(municipality=gent, object_ref="1")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["rewritten", second.pk]
        )
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=StringIO(), stderr=(err := StringIO()))
    assert f"entry {second.pk}" in err.getvalue() and "changed" in err.getvalue()
    with pytest.raises(PermissionError):
        second.delete()  # append-only through the ORM
