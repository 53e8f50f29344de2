"""Attachments (issue 12, point 5): files checked by their content, size and count, with
nothing stored when one is refused; served only to the applicant and the officers who
handle the request (everyone else 404), an officer's read in the access log, in a
sandbox; drafts' files claimed by their case and cleaned up when abandoned."""

import datetime as dt
import hashlib
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import bearer, citizen_user, officer_login_client
from eloket.attachments.checks import FileTooLarge, FileTypeRefused, TooManyFiles, clean_name
from eloket.attachments.models import Attachment
from eloket.attachments.services import (
    attachment_store,
    attachments_claim_draft,
    attachments_cleanup,
    attachments_store,
)
from eloket.attachments.storage import attachment_storage
from eloket.cases.services import case_create, case_message_add
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.files import MESSAGE_FILE_RULES, PDF, PNG, FileRules
from eloket.common.text import HiddenCharacter
from eloket.identity.selectors import citizen_actor_of
from eloket.register.models import AccessLogEntry
from test_case_engine import HOUSING, officer

DRAFT = "d" * 32


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100


def upload(name: str, data: bytes, claimed: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=claimed)


def stored_files() -> list[str]:
    found = []
    try:
        folders, files = attachment_storage.listdir("")
    except FileNotFoundError:
        return []
    found += files
    for folder in folders:
        found += [f"{folder}/{f}" for f in attachment_storage.listdir(folder)[1]]
    return found


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    return tmp_path / "attachments"


@pytest.fixture
def housing(gent):
    from eloket.cases.services import case_type_publish

    _user, admin = officer(gent, "gent.admin", role="admin")
    return case_type_publish(
        actor=admin,
        municipality=gent,
        code="housing_information",
        names={"en": "Housing information", "nl": "Woninginlichtingen"},
        definition=HOUSING,
        department="housing",
    )


@pytest.fixture
def jan(family):
    return citizen_user(family["Jan"])


@pytest.fixture
def case(gent, jan, housing):
    return case_create(
        actor=citizen_actor_of(jan),
        municipality=gent,
        case_type=housing.code,
        requester_id=jan.pk,
        title="Pre-emption right?",
        language="en",
    )


RULES = FileRules(accept=(PDF, PNG), max_bytes=100_000, max_files=2)


def store(gent, jan, case, *files, rules=RULES, question="plans"):
    return attachments_store(
        actor=citizen_actor_of(jan),
        municipality=gent,
        uploads=list(files),
        rules=rules,
        case=case,
        question=question,
    )


class TestChecks:
    def test_a_real_pdf_and_png_are_accepted_with_their_sha256(self, gent, jan, case):
        pdf, png = pdf_bytes(), png_bytes()
        stored = store(gent, jan, case, upload("plan.pdf", pdf), upload("photo", png, "x/y"))
        assert [(a.content_type, a.size) for a in stored] == [(PDF, len(pdf)), (PNG, len(png))]
        assert stored[0].sha256 == hashlib.sha256(pdf).hexdigest()
        assert stored[1].sha256 == hashlib.sha256(png).hexdigest()
        assert stored[1].name == "photo"
        assert len(stored_files()) == 2
        # Stored under a name of ours, nothing of the sender's.
        assert all("plan" not in path for path in stored_files())
        with stored[0].file.open("rb") as f:
            assert f.read() == pdf

    @pytest.mark.parametrize(
        "data",
        [HTML, EXE, ZIP, b"%PDF-1.7\n this is no PDF at all", b"\x00" * 50],
        ids=["html", "exe", "zip", "fake-pdf-header", "zeros"],
    )
    def test_a_pdf_that_is_not_one_is_refused_and_nothing_is_stored(self, gent, jan, case, data):
        with pytest.raises(FileTypeRefused) as refused:
            store(gent, jan, case, upload("plan.pdf", pdf_bytes()), upload("evil.pdf", data))
        assert refused.value.code == "file_type_refused"
        assert "evil.pdf" in str(refused.value)
        assert Attachment.objects.count() == 0
        assert stored_files() == []

    def test_oversized_is_refused(self, gent, jan, case):
        big = pdf_bytes() + b"\n%" + b"x" * 100_000
        with pytest.raises(FileTooLarge) as refused:
            store(gent, jan, case, upload("big.pdf", big))
        assert refused.value.code == "file_too_large"
        assert Attachment.objects.count() == 0
        assert stored_files() == []

    def test_too_many_are_refused_counting_those_already_sent(self, gent, jan, case):
        with pytest.raises(TooManyFiles):
            store(gent, jan, case, *[upload(f"{n}.pdf", pdf_bytes()) for n in range(3)])
        assert Attachment.objects.count() == 0
        store(gent, jan, case, upload("1.pdf", pdf_bytes()))
        with pytest.raises(TooManyFiles) as refused:
            store(gent, jan, case, upload("2.pdf", pdf_bytes()), upload("3.png", png_bytes()))
        assert refused.value.code == "too_many_files"
        assert Attachment.objects.count() == 1
        assert len(stored_files()) == 1
        # Another question counts apart.
        store(gent, jan, case, upload("4.pdf", pdf_bytes()), question="photos")
        assert Attachment.objects.count() == 2

    def test_a_failure_after_storing_removes_the_files(self, gent, jan, case, monkeypatch):
        import eloket.attachments.services as services

        def broken(**kwargs):
            raise RuntimeError("audit down")

        monkeypatch.setattr(services, "audit_record", broken)
        with pytest.raises(RuntimeError):
            store(gent, jan, case, upload("1.pdf", pdf_bytes()))
        assert Attachment.objects.count() == 0
        assert stored_files() == []

    def test_names_lose_their_folders_and_hidden_characters(self):
        assert clean_name("../../etc/passwd") == "passwd"
        assert clean_name("C:\\Users\\jan\\plan.pdf") == "plan.pdf"
        assert clean_name(".hidden.pdf") == "hidden.pdf"
        assert clean_name("a\u200bb\u0007.pdf") == "ab.pdf"
        assert clean_name("") == "file"
        assert clean_name('a"b<c>.pdf') == "a_b_c_.pdf"
        with pytest.raises(HiddenCharacter):
            clean_name("invoice\u202efdp.exe")

    def test_an_audit_event_without_contents(self, gent, jan, case):
        from eloket.audit.models import AuditEvent

        stored = store(gent, jan, case, upload("plan.pdf", pdf_bytes()))
        event = AuditEvent.objects.get(action="attachment.store")
        assert event.object_ref == case.tracking_code
        assert event.data["files"][0]["sha256"] == stored[0].sha256
        assert "%PDF" not in str(event.data)


class TestRights:
    def test_another_citizen_or_an_officer_elsewhere_may_not_attach(
        self, gent, brugge, jan, family, case
    ):
        sofie = citizen_user(family["Sofie"])
        with pytest.raises(NotFound):
            store(gent, sofie, case, upload("1.pdf", pdf_bytes()))
        _user, other_department = officer(gent, "gent.events", department="events")
        with pytest.raises(ApplicationError):
            attachment_store(
                actor=other_department,
                municipality=gent,
                upload=upload("1.pdf", pdf_bytes()),
                rules=RULES,
                case=case,
                question="plans",
            )
        _user, clerk = officer(gent, "gent.housing", department="housing")
        attachment_store(
            actor=clerk,
            municipality=gent,
            upload=upload("1.pdf", pdf_bytes()),
            rules=RULES,
            case=case,
            question="plans",
        )
        assert Attachment.objects.count() == 1


class TestDrafts:
    def test_a_draft_is_claimed_by_its_case(self, gent, jan, family, housing):
        actor = citizen_actor_of(jan)
        stored = attachment_store(
            actor=actor,
            municipality=gent,
            upload=upload("plan.pdf", pdf_bytes()),
            rules=RULES,
            draft_token=DRAFT,
            question="plans",
        )
        assert stored.case is None and stored.uploaded_by == jan
        # Another citizen cannot add to (or take) Jan's draft.
        sofie = citizen_user(family["Sofie"])
        with pytest.raises(NotFound):
            attachment_store(
                actor=citizen_actor_of(sofie),
                municipality=gent,
                upload=upload("x.pdf", pdf_bytes()),
                rules=RULES,
                draft_token=DRAFT,
                question="plans",
            )
        case = case_create(
            actor=actor,
            municipality=gent,
            case_type=housing.code,
            requester_id=jan.pk,
            title="With plans",
            language="en",
        )
        assert (
            attachments_claim_draft(actor=actor, municipality=gent, draft_token=DRAFT, case=case)
            == 1
        )
        stored.refresh_from_db()
        assert stored.case == case and stored.draft_token == "" and stored.question == "plans"
        # The draft is spent: nothing more to claim.
        assert (
            attachments_claim_draft(actor=actor, municipality=gent, draft_token=DRAFT, case=case)
            == 0
        )

    def test_cleanup_removes_abandoned_drafts_from_storage(
        self, gent, jan, case, private_storage, django_capture_on_commit_callbacks
    ):
        actor = citizen_actor_of(jan)
        old = attachment_store(
            actor=actor,
            municipality=gent,
            upload=upload("old.pdf", pdf_bytes()),
            rules=RULES,
            draft_token=DRAFT,
            question="plans",
        )
        Attachment.objects.filter(pk=old.pk).update(
            uploaded_at=timezone.now() - dt.timedelta(days=40)
        )
        fresh = attachment_store(
            actor=actor,
            municipality=gent,
            upload=upload("new.pdf", pdf_bytes()),
            rules=RULES,
            draft_token="e" * 32,
            question="plans",
        )
        kept = store(gent, jan, case, upload("case.pdf", pdf_bytes()))[0]
        assert len(stored_files()) == 3
        system = Actor.system("test", gent)
        with django_capture_on_commit_callbacks(execute=True):
            removed = attachments_cleanup(actor=system, municipality=gent, days=30)
        assert removed == 1
        assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, kept.pk}
        assert sorted(stored_files()) == sorted([fresh.file.name, kept.file.name])
        # A file no row names, old enough, goes too.
        orphan = private_storage / str(gent.pk) / "orphan"
        orphan.write_bytes(b"left behind")
        import os

        past = (timezone.now() - dt.timedelta(days=1)).timestamp()
        os.utime(orphan, (past, past))
        assert attachments_cleanup(actor=system, municipality=gent, days=30) == 1
        assert not orphan.exists()


class TestMessages:
    def test_a_message_with_files_or_nothing(self, gent, jan, case):
        actor = citizen_actor_of(jan)
        message = case_message_add(
            actor=actor,
            municipality=gent,
            case=case,
            text="Here are the plans.",
            files=[upload("plan.pdf", pdf_bytes()), upload("photo.png", png_bytes())],
        )
        assert [a.name for a in message.attachments.all()] == ["plan.pdf", "photo.png"]
        count = case.messages.count()
        with pytest.raises(FileTypeRefused):
            case_message_add(
                actor=actor,
                municipality=gent,
                case=case,
                text="And this",
                files=[upload("plan.pdf", pdf_bytes()), upload("x.pdf", HTML)],
            )
        assert case.messages.count() == count  # the message went with its files
        assert Attachment.objects.count() == 2 and len(stored_files()) == 2
        too_many = [
            upload(f"{n}.pdf", pdf_bytes()) for n in range(MESSAGE_FILE_RULES.max_files + 1)
        ]
        with pytest.raises(TooManyFiles):
            case_message_add(actor=actor, municipality=gent, case=case, text="", files=too_many)
        assert case.messages.count() == count


def file_url(case, attachment, officer=False):
    where = "backoffice/requests" if officer else "requests"
    return f"/gent/{where}/{case.tracking_code}/files/{attachment.public_id}"


class TestServing:
    def test_the_applicant_opens_a_pdf_in_place_in_a_sandbox(self, client, gent, jan, case):
        pdf = pdf_bytes()
        attachment = store(gent, jan, case, upload('my <plan>".pdf', pdf, "text/html"))[0]
        client.force_login(jan)
        response = client.get(file_url(case, attachment))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf
        assert response["Content-Type"] == "application/pdf"  # read, not the claim
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert response["Content-Disposition"].startswith("inline")
        assert response["Content-Disposition"] == 'inline; filename="my _plan__.pdf"'
        assert "no-store" in response["Cache-Control"]
        assert AccessLogEntry.objects.count() == 0  # one's own file is not logged

    def test_anyone_else_gets_404(self, client, gent, brugge, jan, family, case, make_officer):
        attachment = store(gent, jan, case, upload("plan.pdf", pdf_bytes()))[0]
        url = file_url(case, attachment)
        client.force_login(citizen_user(family["Sofie"]))
        assert client.get(url).status_code == 404
        # A file id that does not exist, or of another case, is the same 404.
        client.force_login(jan)
        assert client.get(url.replace(str(attachment.public_id)[:8], "ffffffff")).status_code == 404
        client.logout()
        officer_url = file_url(case, attachment, officer=True)
        # An officer of another municipality.
        elsewhere = make_officer("brugge.clerk", brugge)
        officer_login_client(client, elsewhere)
        assert client.get(officer_url).status_code == 404
        client.logout()
        # A clerk of another department of Gent.
        events, _actor = officer(gent, "gent.events", department="events")
        officer_login_client(client, events)
        assert client.get(officer_url).status_code == 404
        assert AccessLogEntry.objects.count() == 0
        client.logout()
        # A citizen at the back-office address.
        client.force_login(jan)
        assert client.get(officer_url).status_code == 404

    def test_an_officer_read_writes_the_access_log(self, client, gent, jan, family, case):
        png = png_bytes()
        attachment = store(gent, jan, case, upload("photo.png", png))[0]
        clerk, _actor = officer(gent, "gent.housing", department="housing")
        officer_login_client(client, clerk)
        response = client.get(file_url(case, attachment, officer=True))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert b"".join(response.streaming_content) == png
        entry = AccessLogEntry.objects.get()
        assert entry.person == family["Jan"]
        assert entry.actor_user == clerk
        assert entry.data == ["attachments"]
        assert entry.case_ref == f"case:{case.tracking_code}"
        assert case.display_code in entry.purpose

    def test_other_types_are_downloads(self, client, gent, jan, case):
        from eloket.attachments.views import file_response

        attachment = store(gent, jan, case, upload("plan.pdf", pdf_bytes()))[0]
        attachment.content_type = "application/zip"
        response = file_response(attachment)
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Type"] == "application/zip"


class TestMessagePages:
    def test_the_citizen_answers_with_files_without_javascript(self, client, gent, jan, case):
        client.force_login(jan)
        page = client.get(f"/gent/requests/{case.tracking_code}", HTTP_ACCEPT_LANGUAGE="en")
        html = page.content.decode()
        assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
        sent = client.post(
            f"/gent/requests/{case.tracking_code}/act",
            {
                "action": "message",
                "text": "The plans",
                "files": [upload("plan.pdf", pdf_bytes()), upload("photo.png", png_bytes())],
            },
        )
        assert sent.status_code == 302
        message = case.messages.get()
        assert [a.name for a in message.attachments.all()] == ["plan.pdf", "photo.png"]
        page = client.get(f"/gent/requests/{case.tracking_code}", HTTP_ACCEPT_LANGUAGE="en")
        html = page.content.decode()
        for attachment in message.attachments.all():
            assert file_url(case, attachment) in html
        # A refused file: the message is not sent either, and the error says why.
        refused = client.post(
            f"/gent/requests/{case.tracking_code}/act",
            {"action": "message", "text": "More", "files": [upload("x.pdf", HTML)]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert "x.pdf" in refused.content.decode()
        assert case.messages.count() == 1 and Attachment.objects.count() == 2

    def test_the_officer_sends_files_and_sees_the_citizens(self, client, gent, jan, case):
        store(gent, jan, case, upload("plan.pdf", pdf_bytes()))
        clerk, _actor = officer(gent, "gent.housing", department="housing")
        officer_login_client(client, clerk)
        url = f"/gent/backoffice/requests/{case.tracking_code}"
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        form_file = Attachment.objects.get()
        assert file_url(case, form_file, officer=True) in html
        assert 'type="file"' in html
        sent = client.post(
            f"{url}/act",
            {"action": "message", "text": "", "files": [upload("answer.pdf", pdf_bytes())]},
        )
        assert sent.status_code == 302
        message = case.messages.get()
        assert message.author == "officer"
        assert [a.name for a in message.attachments.all()] == ["answer.pdf"]


class TestApi:
    @pytest.fixture(autouse=True)
    def plans_question(self, monkeypatch):
        from eloket.cases.handlers import GenericHandler

        def file_rules(self, case, question):
            return {"plans": RULES, "": MESSAGE_FILE_RULES}.get(question)

        monkeypatch.setattr(GenericHandler, "file_rules", file_rules)

    def test_send_files_for_a_question_and_list_them(self, client, gent, jan, case):
        url = f"/api/v1/requests/{case.tracking_code}/attachments"
        pdf = pdf_bytes()
        sent = client.post(
            url,
            {"plans": [upload("plan.pdf", pdf), upload("photo.png", png_bytes())]},
            **bearer(jan),
        )
        assert sent.status_code == 201, sent.content
        body = sent.json()
        assert [(a["question"], a["name"], a["content_type"]) for a in body] == [
            ("plans", "plan.pdf", "application/pdf"),
            ("plans", "photo.png", "image/png"),
        ]
        assert body[0]["sha256"] == hashlib.sha256(pdf).hexdigest()
        assert body[0]["url"].endswith(f"/gent/requests/{case.tracking_code}/files/{body[0]['id']}")
        opened = client.get(f"/api/v1/requests/{case.tracking_code}", **bearer(jan)).json()
        assert [a["id"] for a in opened["attachments"]] == [a["id"] for a in body]
        # The file at its url, for its requester.
        client.force_login(jan)
        assert client.get(body[0]["url"].split("testserver", 1)[-1]).status_code == 200

    def test_refusals_store_nothing(self, client, gent, jan, family, case):
        url = f"/api/v1/requests/{case.tracking_code}/attachments"
        unknown = client.post(url, {"other": [upload("plan.pdf", pdf_bytes())]}, **bearer(jan))
        assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_question"
        fake = client.post(url, {"plans": [upload("plan.pdf", EXE)]}, **bearer(jan))
        assert fake.status_code == 400 and fake.json()["code"] == "file_type_refused"
        many = client.post(
            url, {"plans": [upload(f"{n}.pdf", pdf_bytes()) for n in range(3)]}, **bearer(jan)
        )
        assert many.status_code == 400 and many.json()["code"] == "too_many_files"
        empty = client.post(url, {}, **bearer(jan))
        assert empty.status_code == 400
        sofie = citizen_user(family["Sofie"])
        theirs = client.post(url, {"plans": [upload("plan.pdf", pdf_bytes())]}, **bearer(sofie))
        assert theirs.status_code == 404
        assert Attachment.objects.count() == 0 and stored_files() == []

    def test_in_the_openapi_schema(self, client, db):
        schema = client.get("/api/v1/openapi.json").json()
        operation = schema["paths"]["/api/v1/requests/{tracking_code}/attachments"]["post"]
        assert "multipart/form-data" in operation["requestBody"]["content"]
        request_out = schema["components"]["schemas"]["RequestOut"]
        assert "attachments" in request_out["properties"]


def test_the_cleanup_command_and_the_access_log_words(gent, jan, case, client, family):
    from django.core.management import call_command

    from eloket.register.access_log import access_refs

    actor = citizen_actor_of(jan)
    old = attachment_store(
        actor=actor,
        municipality=gent,
        upload=upload("old.pdf", pdf_bytes()),
        rules=RULES,
        draft_token=DRAFT,
        question="plans",
    )
    Attachment.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=9))
    out = io.StringIO()
    call_command("attachments", "cleanup", "--days", "30", stdout=out)
    assert Attachment.objects.filter(pk=old.pk).exists()
    call_command("attachments", "cleanup", "--days", "7", stdout=out)
    assert not Attachment.objects.filter(pk=old.pk).exists()
    assert "1 file removed" in out.getvalue()
    # What "case:<code>" stands for in the requester's access log.
    words = access_refs["case"].describe([case.tracking_code], reader_user_id=jan.pk)
    assert case.display_code in words[case.tracking_code].text
    assert words[case.tracking_code].path == f"requests/{case.tracking_code}"


def test_a_large_file_through_the_page_is_stored_whole(client, gent, jan, case):
    """Over Django's in-memory limit (2.5 MB) an upload is a temporary file, which the
    storage moves into place: checked, hashed and stored all the same."""
    import os

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment("noise.bin", os.urandom(3 * 1024 * 1024))
    out = io.BytesIO()
    writer.write(out)
    big = out.getvalue()
    assert len(big) > 3 * 1024 * 1024
    client.force_login(jan)
    sent = client.post(
        f"/gent/requests/{case.tracking_code}/act",
        {"action": "message", "text": "Big plan", "files": [upload("big.pdf", big)]},
    )
    assert sent.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.size == len(big)
    assert attachment.sha256 == hashlib.sha256(big).hexdigest()
    response = client.get(file_url(case, attachment))
    assert b"".join(response.streaming_content) == big


def test_a_service_drafts_file_goes_with_its_request(gent, family, private_storage):
    """With the services app: a file sent for the draft's file question moves onto the
    request when the draft is submitted, and the question's rules come from its form."""
    from eloket.cases.handlers import case_handlers
    from eloket.services.services import draft_save_step, draft_start, draft_submit, service_publish
    from test_services_core import EVERY_TYPE

    service_publish(actor=Actor.system("test", gent), municipality=gent, definition=EVERY_TYPE)
    jan = citizen_actor_of(citizen_user(family["Jan"]))
    draft = draft_start(actor=jan, municipality=gent, code="every_type")
    first = {"title": "Party", "count": "3", "when": "2027-06-21", "colour": "red", "outdoor": "no"}
    draft_save_step(actor=jan, municipality=gent, draft=draft, step="first", values=first)
    draft_save_step(
        actor=jan, municipality=gent, draft=draft, step="second", values={"agree": "yes"}
    )
    rules = FileRules(accept=(PDF,), max_bytes=MESSAGE_FILE_RULES.max_bytes, max_files=2)
    stored = attachment_store(
        actor=jan,
        municipality=gent,
        upload=upload("plans.pdf", pdf_bytes()),
        rules=rules,
        draft_token=str(draft.token),
        question="plans",
    )
    case, _new = draft_submit(actor=jan, municipality=gent, draft=draft)
    stored.refresh_from_db()
    assert stored.case == case and stored.draft_token == ""
    handler = case_handlers[case.case_type.handler]
    assert tuple(handler.file_rules(case, "plans").accept) == ("application/pdf",)
    assert handler.file_rules(case, "title") is None
