"""Administration without JSON (issue 11, point 8): the municipality's names, languages,
modules and colours in real form fields; names per language for kinds of request; the
population register uploaded in the municipality's admin with the command line's checks
and report; and officers without admin rights told so, not sent to the login again."""

import datetime as dt

import pytest

from conftest import officer_login_client
from eloket.audit.models import AuditEvent
from eloket.register.models import Person
from eloket.register.national_ids import make_belgian_number
from eloket.tenants.models import Municipality
from test_register_import import HEADER, JAN, LOTTE, SOFIE, good_rows


@pytest.fixture
def operator(client, db):
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_superuser("op", password="correct horse 42")
    TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    return officer_login_client(client, user)


def new_municipality_form(**changes):
    form = {
        "slug": "aalst",
        "names_nl": "Stad Aalst",
        "names_fr": "Alost",
        "names_de": "",
        "names_en": "City of Aalst",
        "names_ko": "",
        "country": "BE",
        "nis_code": "41002",
        "host": "",
        "is_active": "on",
        "default_language": "nl",
        "languages": ["nl", "fr", "en"],
        "modules": ["certificates", "petitions"],
        "primary_colour": "#8a1538",
        "secondary_colour": "#fdf6f0",
        "font_stack": "system-ui, sans-serif",
        "custom_css": "",
        "contact_email": "",
        "contact_phone": "",
        "contact_address": "",
        "website": "",
    }
    form.update(changes)
    return form


class TestMunicipalityForm:
    def test_the_add_page_has_no_json_to_type(self, client, operator):
        page = client.get("/admin/tenants/municipality/add/").content.decode()
        assert "{'nl'" not in page and "{&#x27;nl&#x27;" not in page
        assert "e.g. ['certificates']" not in page
        for code in ("nl", "fr", "de", "en", "ko"):
            assert f'name="names_{code}"' in page and f'lang="{code}"' in page
        assert 'for="id_names_fr"' in page  # each box has its own label
        assert page.count('type="color"') == 7  # the main and panel colours, five tokens
        assert 'type="checkbox" name="modules" value="petitions"' in page
        assert 'type="checkbox" name="languages" value="ko"' in page

    def test_operator_adds_a_municipality_without_json(self, client, operator):
        answer = client.post("/admin/tenants/municipality/add/", new_municipality_form())
        assert answer.status_code == 302, answer.content.decode()[:3000]
        aalst = Municipality.objects.get(slug="aalst")
        assert aalst.names == {"nl": "Stad Aalst", "fr": "Alost", "en": "City of Aalst"}
        assert aalst.languages == ["nl", "fr", "en"]
        assert aalst.modules == ["certificates", "petitions"]
        assert (aalst.primary_colour, aalst.secondary_colour) == ("#8a1538", "#fdf6f0")

    def test_the_change_page_round_trips(self, client, gent, make_officer):
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        url = f"/admin/tenants/municipality/{gent.pk}/change/"
        page = client.get(url).content.decode()
        assert 'name="names_nl" value="Stad Gent"' in page
        assert 'name="names_en" value="City of Ghent"' in page
        assert 'type="color" name="primary_colour" value="#0b5c8e"' in page
        assert 'name="modules" value="petitions" id="id_modules_3" checked' in page
        before = Municipality.objects.values().get(pk=gent.pk)
        form = {
            "names_nl": "Stad Gent",
            "names_en": "City of Ghent",
            "default_language": "nl",
            "languages": ["nl", "en"],
            "modules": ["certificates", "participation", "petitions"],
            "primary_colour": "#0b5c8e",
            "secondary_colour": gent.secondary_colour,
            "font_stack": gent.font_stack,
            "custom_css": "",
            "contact_email": "info@gent.example",
        }
        assert client.post(url, form).status_code == 302
        assert Municipality.objects.values().get(pk=gent.pk) == {
            **before,
            "updated_at": Municipality.objects.get(pk=gent.pk).updated_at,
        }
        # Now change through the same boxes: a French name, French first, one module off.
        form.update(
            names_fr="Gand",
            default_language="fr",
            languages=["nl", "en", "fr"],
            modules=["certificates"],
        )
        assert client.post(url, form).status_code == 302
        gent.refresh_from_db()
        assert gent.names == {"nl": "Stad Gent", "fr": "Gand", "en": "City of Ghent"}
        assert gent.languages == ["fr", "nl", "en"]  # the default first, the rest as they were
        assert gent.modules == ["certificates"]
        # And the last box emptied removes that language's name.
        form.update(names_en="", languages=["fr", "nl"], modules=[])
        assert client.post(url, form).status_code == 302
        gent.refresh_from_db()
        assert gent.names == {"nl": "Stad Gent", "fr": "Gand"} and gent.modules == []

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("#8A1538", "#8a1538"),
            ("8a1538", "#8a1538"),
            (" #8a1538 ", "#8a1538"),
            ("#812", "#881122"),
        ],
    )
    def test_a_colour_typed_by_hand_is_taken(self, client, operator, typed, stored):
        form = new_municipality_form(primary_colour=typed)
        assert client.post("/admin/tenants/municipality/add/", form).status_code == 302
        assert Municipality.objects.get(slug="aalst").primary_colour == stored

    @pytest.mark.parametrize(
        ("field", "value", "says"),
        [
            ("primary_colour", "red", "Use a colour like #1d4f91."),
            ("primary_colour", "#1d4f91ff", "Use a colour like #1d4f91."),
            ("secondary_colour", "", "This field is required."),
            (
                "primary_colour",
                "#ffff00",
                "main colour #ffff00 has contrast 1.0:1; WCAG 2.2 AA needs 4.5:1",
            ),
            ("names_nl", "", "the default language"),
            ("languages", ["xx"], "Select a valid choice"),
            ("modules", ["everything"], "Select a valid choice"),
        ],
    )
    def test_bad_values_are_refused_next_to_their_field(self, client, operator, field, value, says):
        answer = client.post(
            "/admin/tenants/municipality/add/", new_municipality_form(**{field: value})
        )
        assert answer.status_code == 200
        assert says in answer.content.decode()
        assert not Municipality.objects.filter(slug="aalst").exists()

    def test_no_name_at_all(self, client, operator):
        empty = {f"names_{code}": "" for code in ("nl", "fr", "de", "en", "ko")}
        answer = client.post("/admin/tenants/municipality/add/", new_municipality_form(**empty))
        assert "Give it in at least one language." in answer.content.decode()
        assert not Municipality.objects.filter(slug="aalst").exists()

    def test_a_municipality_administrator_keeps_the_operators_fields(
        self, client, gent, make_officer
    ):
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        url = f"/admin/tenants/municipality/{gent.pk}/change/"
        form = {
            "slug": "stolen",
            "nis_code": "99999",
            "names_nl": "Gent",
            "default_language": "nl",
            "languages": ["nl"],
            "modules": [],
            "primary_colour": "#0b5c8e",
            "secondary_colour": "#ffffff",
            "font_stack": "system-ui",
        }
        assert client.post(url, form).status_code == 302
        gent.refresh_from_db()
        assert (gent.slug, gent.nis_code, gent.names) == ("gent", "44021", {"nl": "Gent"})


def test_a_kind_of_request_is_named_per_language_without_json(client, gent, make_officer):
    import json

    from eloket.cases.models import CaseType
    from test_case_engine import HOUSING

    officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
    page = client.get("/admin/cases/casetype/add/").content.decode()
    assert 'name="names_nl"' in page and 'name="names"' not in page
    form = {
        "municipality": gent.pk,
        "code": "housing_information",
        "handler": "generic",
        "names_nl": "Woninginlichtingen",
        "names_en": "Housing information",
        "department": "",
        "processing_days": "20",
        "definition": json.dumps(HOUSING),
        "options": "{}",
        "audience": "residents",
    }
    assert client.post("/admin/cases/casetype/add/", form).status_code == 302
    kind = CaseType.objects.get(code="housing_information")
    assert kind.names == {"nl": "Woninginlichtingen", "en": "Housing information"}
    page = client.get(f"/admin/cases/casetype/{kind.pk}/change/").content.decode()
    assert 'name="names_nl" value="Woninginlichtingen"' in page


# --- The register in the municipality's admin -----------------------------------------


def register_csv(*rows) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def upload(client, municipality, content: bytes, name="people.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/admin/tenants/municipality/{municipality.pk}/register/",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


class TestRegisterUpload:
    def test_a_bad_line_imports_nothing_and_the_report_names_it(self, client, gent, make_officer):
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        change = client.get(f"/admin/tenants/municipality/{gent.pk}/change/").content.decode()
        assert f"/admin/tenants/municipality/{gent.pk}/register/" in change
        rows = good_rows()
        rows.insert(
            1, f"{JAN[:-1]}0,Bad,Number,M,1985-07-30,Gent,BE,single,,Veldstraat,1,,9000,Gent,,,,"
        )
        answer = upload(client, gent, register_csv(*rows))
        page = answer.content.decode()
        assert answer.status_code == 200
        assert "nothing was imported" in page.lower()
        assert "<td>3</td><td>National number: The check digits do not match" in page
        assert Person.objects.count() == 0
        assert not AuditEvent.objects.filter(action="register.import").exists()

    def test_a_long_report_shows_the_first_problems(self, client, gent, make_officer, monkeypatch):
        from eloket.identity import admin

        monkeypatch.setattr(admin, "REPORT_ROWS", 1)
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        rows = [row.replace(",BE,", ",??,") for row in good_rows()]
        page = upload(client, gent, register_csv(*rows)).content.decode()
        assert "3 problems found; nothing was imported." in page
        assert "<td>2</td>" in page and "<td>3</td>" not in page
        assert "Problems not shown: 2." in page

    def test_a_sound_file_imports_and_is_audited(self, client, gent, make_officer):
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        answer = upload(client, gent, register_csv(*good_rows()))
        assert answer.status_code == 302
        page = client.get(answer["Location"]).content.decode()
        assert "Imported 3 persons, 3 addresses, 1 households and 0 civil events" in page
        assert set(
            Person.objects.filter(municipality=gent).values_list("national_id", flat=True)
        ) == {
            JAN,
            SOFIE,
            LOTTE,
        }
        event = AuditEvent.objects.get(action="register.import")
        assert event.municipality == gent and event.actor_label.startswith("Gent.Admin")
        assert event.data["persons"] == 3

    def test_json_and_other_files(self, client, gent, make_officer):
        import json

        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        person = {
            "national_number": make_belgian_number(dt.date(1990, 1, 1), 11),
            "first_names": "Piet",
            "last_name": "Janssens",
            "sex": "M",
            "birth_date": "1990-01-01",
            "nationality": "BE",
        }
        answer = upload(client, gent, json.dumps({"persons": [person]}).encode(), "people.json")
        assert answer.status_code == 302 and Person.objects.count() == 1
        odd = upload(client, gent, b"\xff\xfe", "people.xlsx")
        assert "Use a .csv or .json file." in odd.content.decode()
        latin = upload(client, gent, register_csv(*good_rows()).replace(b"Peeters", b"P\xe9eters"))
        assert "The file is not UTF-8 text." in latin.content.decode()
        assert Person.objects.count() == 1

    def test_an_administrator_cannot_upload_into_another_municipality(
        self, client, gent, brugge, make_officer
    ):
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        answer = upload(client, brugge, register_csv(*good_rows()))
        assert answer.status_code == 404
        assert client.get(f"/admin/tenants/municipality/{brugge.pk}/register/").status_code == 404
        assert Person.objects.count() == 0

    @pytest.mark.parametrize("role", ["clerk", "head"])
    def test_clerks_and_heads_cannot_upload(self, client, gent, make_officer, role):
        officer_login_client(client, make_officer(f"gent.{role}", gent, role=role))
        answer = upload(client, gent, register_csv(*good_rows()))
        assert answer.status_code == 403
        assert Person.objects.count() == 0

    def test_the_service_checks_the_actor(self, gent, brugge, make_officer):
        from eloket.common.permissions import PermissionDenied
        from eloket.identity.models import OfficerRole
        from eloket.identity.selectors import officer_actor
        from eloket.register.services import register_import_upload

        admin = make_officer("gent.admin", gent, role="admin")
        head = make_officer("gent.head", gent, role="head")
        as_admin = officer_actor(OfficerRole.objects.get(user=admin))
        as_head = officer_actor(OfficerRole.objects.get(user=head))
        content = register_csv(*good_rows())
        with pytest.raises(PermissionDenied):
            register_import_upload(
                actor=as_admin, municipality=brugge, name="a.csv", content=content
            )
        with pytest.raises(PermissionDenied):
            register_import_upload(actor=as_head, municipality=gent, name="a.csv", content=content)
        assert Person.objects.count() == 0
        result = register_import_upload(
            actor=as_admin, municipality=gent, name="a.csv", content=content
        )
        assert result.persons == 3

    def test_a_file_over_the_limit_is_refused(self, client, gent, make_officer, settings):
        settings.ELOKET_REGISTER_UPLOAD_MAX_BYTES = 1024
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        answer = upload(client, gent, register_csv(*good_rows() * 10))
        assert answer.status_code == 413 and Person.objects.count() == 0


# --- Officers without admin rights ------------------------------------------------------


class TestNotAllowed:
    @pytest.mark.parametrize("role", ["clerk", "head"])
    def test_a_clerk_or_head_gets_a_page_that_says_so(self, client, gent, make_officer, role):
        officer_login_client(client, make_officer(f"gent.{role}", gent, role=role))
        for path in ("/admin/", "/admin/login/", "/admin/tenants/municipality/"):
            answer = client.get(path)
            assert answer.status_code == 403, path
            page = answer.content.decode()
            assert "Not allowed" in page and 'href="/gent/backoffice/"' in page
            assert "no-cache" in answer["Cache-Control"] or "max-age=0" in answer["Cache-Control"]

    def test_in_their_language(self, client, gent, make_officer):
        officer_login_client(client, make_officer("gent.clerk", gent))
        page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert '<html lang="fr">' in page and "Non autorisé" in page

    def test_no_one_logged_in_still_goes_to_the_login(self, client, db):
        answer = client.get("/admin/")
        assert answer.status_code == 302
        assert client.get(answer["Location"])["Location"].startswith("/auth/officer/login")

    def test_an_administrator_still_gets_in(self, client, gent, make_officer):
        officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
        assert client.get("/admin/").status_code == 200
