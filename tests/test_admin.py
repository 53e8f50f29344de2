"""The admin: the platform operator manages municipalities; a municipality administrator
manages only their own officers, roles and branding (issue 3)."""

import pytest

from conftest import officer_login_client
from eloket.identity.models import OfficerRole


@pytest.fixture
def admins(gent, brugge, make_officer):
    return {
        "gent_admin": make_officer("gent.admin", gent, role="admin"),
        "gent_clerk": make_officer("gent.clerk", gent),
        "brugge_clerk": make_officer("brugge.clerk", brugge),
    }


def test_admin_needs_the_two_step_login(client, admins):
    assert client.get("/admin/").status_code == 302
    client.force_login(admins["gent_admin"])  # no authenticator code
    answer = client.get("/admin/", follow=True)
    assert answer.redirect_chain[-1][0].startswith("/auth/officer/login")


def test_a_clerk_has_no_admin(client, admins):
    officer_login_client(client, admins["gent_clerk"])
    # Told so, not sent to the login again (issue 11, point 8; test_admin_without_json.py).
    assert client.get("/admin/").status_code == 403


def test_municipality_admin_sees_only_their_own(client, gent, brugge, admins):
    officer_login_client(client, admins["gent_admin"])
    officers = client.get("/admin/identity/officer/").content.decode()
    assert "gent.clerk" in officers and "brugge.clerk" not in officers
    municipalities = client.get("/admin/tenants/municipality/").content.decode()
    assert f"/admin/tenants/municipality/{gent.pk}/" in municipalities
    assert f"/admin/tenants/municipality/{brugge.pk}/" not in municipalities
    brugge_officer = admins["brugge_clerk"].pk
    assert client.get(f"/admin/identity/officer/{brugge_officer}/change/").status_code in (302, 404)
    assert client.get(f"/admin/tenants/municipality/{brugge.pk}/change/").status_code in (302, 404)
    assert client.get("/admin/tenants/municipality/add/").status_code == 403


def test_municipality_admin_changes_branding_but_not_identity(client, gent, admins):
    officer_login_client(client, admins["gent_admin"])
    page = client.get(f"/admin/tenants/municipality/{gent.pk}/change/").content.decode()
    assert 'name="primary_colour"' in page and 'name="slug"' not in page


def test_municipality_admin_adds_an_officer_in_their_municipality_only(
    client, gent, brugge, admins
):
    officer_login_client(client, admins["gent_admin"])
    form = {
        "username": "gent.new",
        "first_name": "New",
        "last_name": "Officer",
        "email": "",
        "is_active": "on",
        "new_password": "a long enough password",
        "officer_roles-TOTAL_FORMS": "1",
        "officer_roles-INITIAL_FORMS": "0",
        "officer_roles-MIN_NUM_FORMS": "0",
        "officer_roles-MAX_NUM_FORMS": "1000",
        "officer_roles-0-municipality": str(brugge.pk),
        "officer_roles-0-role": "clerk",
        "officer_roles-0-department": "",
    }
    refused = client.post("/admin/identity/officer/add/", form)
    assert refused.status_code == 200  # the form comes back with an error: not their municipality
    assert not OfficerRole.objects.filter(user__username="gent.new").exists()
    form["officer_roles-0-municipality"] = str(gent.pk)
    created = client.post("/admin/identity/officer/add/", form)
    assert created.status_code == 302
    role = OfficerRole.objects.get(user__username="gent.new")
    assert role.municipality == gent and role.role == "clerk"


def test_operator_onboards_a_municipality(client, db):
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    operator = User.objects.create_superuser("op", password="correct horse 42")
    TOTPDevice.objects.create(user=operator, name="t", confirmed=True)
    officer_login_client(client, operator)
    assert client.get("/admin/tenants/municipality/add/").status_code == 200


def test_municipality_admin_sets_fees_of_their_own_certificates(client, gent, brugge, admins):
    from eloket.certificates.models import CertificateType

    officer_login_client(client, admins["gent_admin"])
    listing = client.get("/admin/certificates/certificatetype/").content.decode()
    theirs = CertificateType.objects.get(municipality=brugge, code="residence")
    mine = CertificateType.objects.get(municipality=gent, code="residence")
    assert (
        f"/certificatetype/{mine.pk}/" in listing
        and f"/certificatetype/{theirs.pk}/" not in listing
    )
    form = {
        "enabled": "on",
        "fee_cents": "450",
        "currency": "EUR",
        "languages": ["nl", "en"],
        "delivery_channels": ["download", "post"],
        "requesters": ["self"],
        "subject_state": "alive",
        "instant": "on",
        "processing_days": "2",
    }
    answer = client.post(f"/admin/certificates/certificatetype/{mine.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    mine.refresh_from_db()
    assert mine.fee_cents == 450 and mine.delivery_channels == ["download", "post"]
    assert client.post(
        f"/admin/certificates/certificatetype/{theirs.pk}/change/", form
    ).status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert theirs.fee_cents != 450


def test_municipality_admin_sets_petition_rules_of_their_own(client, gent, brugge, admins):
    from eloket.petitions.models import PetitionRules
    from eloket.petitions.selectors import rules_of

    mine, theirs = rules_of(municipality=gent), rules_of(municipality=brugge)
    officer_login_client(client, admins["gent_admin"])
    listing = client.get("/admin/petitions/petitionrules/").content.decode()
    assert f"/petitionrules/{mine.pk}/" in listing and f"/petitionrules/{theirs.pk}/" not in listing
    form = {
        "min_coinitiators": "3",
        "min_age": "16",
        "signing_days": "60",
        "threshold_kind": "percent",
        "threshold_value": "150",
        "answer_days": "90",
    }
    url = f"/admin/petitions/petitionrules/{mine.pk}/change/"
    refused = client.post(url, form)
    assert refused.status_code == 200 and "at most 100" in refused.content.decode()
    assert PetitionRules.objects.get(pk=mine.pk).threshold_value != 150
    answer = client.post(url, {**form, "threshold_kind": "count", "threshold_value": "500"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    mine.refresh_from_db()
    assert (mine.threshold_kind, mine.threshold_value, mine.signing_days) == ("count", 500, 60)
    other = f"/admin/petitions/petitionrules/{theirs.pk}/change/"
    assert client.post(other, form).status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert theirs.signing_days == 90


def test_the_admin_never_shows_an_authenticators_secret(client, db):
    """An operator (or anyone with the admin's view of devices) could read an officer's
    TOTP key from the device page or its QR code, and make that officer's codes."""
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    operator = User.objects.create_superuser("op", password="correct horse 42")
    TOTPDevice.objects.create(user=operator, name="t", confirmed=True)
    clerk = User.objects.create_user("clerk", password="correct horse 42")
    device = TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    officer_login_client(client, operator)
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
