"""The verification page as strangers see it (issue 11, point 7): every outcome says in
plain words what was checked, what failed and what to do, in the visitor's language, and
wears the issuing municipality's branding once the document is identified.

Service level: one test per outcome of `verify_pdf` / `verify_code`. Page level (Django's
client, no JavaScript): the language switch, the branding, and that no outcome shows an
exception's name."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from eloket.common.errors import ApplicationError
from eloket.documents.models import IssuedDocument
from eloket.documents.verdicts import verdict_of
from eloket.documents.verify import (
    Check,
    Outcome,
    verification_refused,
    verify_code,
    verify_pdf,
)
from test_attacks_uploads import one_byte_changed, sealed_pdf

EXCEPTION_NAMES = ("PdfReadError", "Error", "Exception", "Traceback", "pyhanko")


@pytest.fixture
def genuine(gent, family, seals):
    pdf = sealed_pdf(gent, family)
    return pdf, IssuedDocument.objects.get(sha256=hashlib.sha256(pdf).hexdigest())


def unsealed_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def refused(data: bytes):
    try:
        return verify_pdf(data)
    except ApplicationError as exc:
        return verification_refused(exc)


def said(result) -> str:
    verdict = verdict_of(result)
    return " ".join((verdict.headline, verdict.explanation, verdict.advice))


class TestOutcomes:
    def test_authentic_and_valid(self, genuine):
        pdf, document = genuine
        result = verify_pdf(pdf)
        assert result.outcome == Outcome.VALID and result.authentic
        assert result.municipality == document.municipality and result.document == document
        assert all(passed for _check, passed in result.checks)
        assert [c for c, _p in result.checks][-1] == Check.STATUS and not result.not_reached
        assert verdict_of(result).good

    def test_one_changed_byte_is_tampered_and_names_the_sealer(self, genuine):
        pdf, document = genuine
        result = verify_pdf(one_byte_changed(pdf))
        assert result.outcome == Outcome.TAMPERED and not result.authentic
        # The seal's certificate is Gent's: the page can say who sealed it, and the code
        # the file carries leads to what Gent registered.
        assert result.municipality == document.municipality
        assert result.claimed == document and result.document is None
        assert dict(result.checks)[Check.SEALER] is True
        assert dict(result.checks)[Check.INTACT] is False
        assert result.not_reached == [Check.REGISTERED, Check.STATUS]
        text = said(result)
        assert "changed" in text and "City of Ghent" in text and "fresh document" in text
        assert "trusted certificate" not in text  # what the old page said

    def test_bytes_added_after_the_seal_are_a_change(self, genuine):
        pdf, _document = genuine
        result = verify_pdf(pdf + b"\n%% appended after sealing\n")
        assert result.outcome == Outcome.TAMPERED

    def test_superseded_and_revoked_by_upload_and_code(self, genuine, clerk_of_gent):
        from eloket.common.actors import Actor
        from eloket.documents.services import document_revoke, documents_supersede

        pdf, document = genuine
        documents_supersede(
            actor=Actor.system("test", document.municipality),
            municipality=document.municipality,
            documents=[document],
            reason="The register data changed",
        )
        for result in (verify_pdf(pdf), verify_code(document.code)):
            assert result.outcome == Outcome.SUPERSEDED and result.authentic
            assert "fresh document" in said(result) and not verdict_of(result).good
        document.refresh_from_db()
        document_revoke(
            actor=clerk_of_gent, municipality=document.municipality, document=document, reason="x"
        )
        for result in (verify_pdf(pdf), verify_code(document.code)):
            assert result.outcome == Outcome.REVOKED
            assert "no longer valid" in said(result)

    def test_by_code_valid_and_unknown(self, genuine):
        _pdf, document = genuine
        result = verify_code(document.display_code.lower())
        assert result.outcome == Outcome.VALID and result.municipality == document.municipality
        assert result.checks == [(Check.CODE, True), (Check.STATUS, True)]
        assert "upload the PDF" in said(result)  # a code alone does not prove a copy
        unknown = verify_code("ZZZZ-ZZZZ-ZZZZ")
        assert unknown.outcome == Outcome.UNKNOWN_CODE and unknown.municipality is None
        assert unknown.not_reached == [Check.STATUS]
        assert "12 letters and digits" in said(unknown)

    def test_corrupt_files_say_so_and_never_name_an_exception(self, genuine):
        pdf, _document = genuine
        for data in (pdf[:3000], b"%PDF-1.7\nnot really a PDF at all", b"%PDF-" + b"[" * 100_000):
            result = verify_pdf(data)
            assert result.outcome == Outcome.UNREADABLE, data[:20]
            assert result.checks[-1] == (Check.READABLE, False)
            text = said(result) + " ".join(result.reasons)
            assert not any(name in text for name in EXCEPTION_NAMES), text
            assert "damaged or incomplete" in text

    def test_not_a_pdf_and_too_large(self, settings):
        result = refused(b"GIF89a not a PDF")
        assert result.outcome == Outcome.NOT_A_PDF and "not a photo or a scan" in said(result)
        settings.ELOKET_UPLOAD_MAX_BYTES = 100
        result = refused(b"%PDF-" + b" " * 200)
        assert result.outcome == Outcome.TOO_LARGE and result.checks == [(Check.SIZE, False)]
        assert "right file" in said(result)

    def test_no_seal(self, db, seals):
        result = verify_pdf(unsealed_pdf())
        assert result.outcome == Outcome.NO_SEAL and result.municipality is None
        assert "original PDF" in said(result)

    def test_sealed_by_someone_else(self, genuine, gent, family, tmp_path, settings):
        from eloket.documents.pki import demo_pki_ensure
        from eloket.documents.seal import _signers

        demo_pki_ensure([gent], tmp_path)  # another "root", another seal claiming Gent
        settings.ELOKET_SEAL_DIR = str(tmp_path / "seals")
        _signers.clear()
        forged = sealed_pdf(gent, family)
        result = verify_pdf(forged)
        assert result.outcome == Outcome.UNKNOWN_SEALER
        assert result.municipality is None  # no branding for a seal that is not Gent's
        assert "Do not trust" in said(result)

    def test_intact_seal_but_not_registered(self, genuine):
        pdf, document = genuine
        IssuedDocument.objects.filter(pk=document.pk).update(sha256="0" * 64)
        result = verify_pdf(pdf)
        assert result.outcome == Outcome.UNREGISTERED
        assert result.municipality == document.municipality
        assert "contact City of Ghent" in said(result)

    def test_the_sealer_is_known_by_its_certificate_alone(self, genuine):
        from pyhanko.pdf_utils.reader import PdfFileReader

        from eloket.documents.pki import seal_owner

        pdf, document = genuine
        signer = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1].signer_cert
        assert seal_owner(signer) == document.municipality

    def test_rate_limited(self):
        from eloket.common.ratelimit import RateLimited

        result = verification_refused(RateLimited("Too many files checked from your address."))
        assert result.outcome == Outcome.RATE_LIMITED and "Wait a minute" in said(result)

    def test_api_answers_the_outcome_in_words(self, client, genuine):
        pdf, _document = genuine
        answer = client.post(
            "/api/v1/verify", one_byte_changed(pdf), content_type="application/pdf"
        ).json()
        assert answer["outcome"] == "tampered" and answer["municipality"] == "gent"
        assert "changed" in answer["explanation"] and answer["advice"]


@pytest.fixture
def clerk_of_gent(gent, make_officer):
    from eloket.identity.selectors import officer_actor, officer_role_in

    user = make_officer("gent.clerk", gent)
    return officer_actor(officer_role_in(user, gent))


def upload(client, data: bytes, **extra):
    return client.post(
        "/verify/", {"document": SimpleUploadedFile("doc.pdf", data, "application/pdf")}, **extra
    )


class TestPage:
    def test_branding_appears_once_the_document_is_identified(self, client, genuine):
        pdf, document = genuine
        blank = client.get("/verify/").content.decode()
        assert "theme.css" not in blank and "Stad Gent" not in blank
        page = upload(client, pdf).content.decode()
        assert "Authentic and valid" in page
        assert f'href="/gent/theme.css?v={document.municipality.branding_version}"' in page
        assert 'class="brand" href="/gent/"' in page
        page = client.get(f"/verify/{document.code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "City of Ghent" in page and "/gent/theme.css" in page  # the name in English

    def test_language_switch_without_javascript(self, client, genuine):
        _pdf, document = genuine
        page = client.get(f"/verify/{document.code}").content.decode()
        switch = f"/verify/language/fr?next=/verify/{document.code}"
        assert f'href="{switch}"' in page
        answer = client.get(switch)
        assert answer.status_code == 302 and answer["Location"] == f"/verify/{document.code}"
        page = client.get(answer["Location"])
        assert page["Content-Language"] == "fr"
        assert "Vérifier un document" in page.content.decode()
        assert client.get("/verify/language/xx").status_code == 404
        assert (
            client.get("/verify/language/de?next=https://evil.example/")["Location"] == "/verify/"
        )

    def test_tampered_corrupt_too_large_and_rate_limited_pages(self, client, genuine, settings):
        pdf, _document = genuine
        page = upload(client, one_byte_changed(pdf)).content.decode()
        assert "Changed after it was sealed" in page and "/gent/theme.css" in page
        assert "trusted certificate" not in page and "info@gent.example" in page
        answer = upload(client, pdf[:3000])
        page = answer.content.decode()
        assert answer.status_code == 200 and "The file cannot be read" in page
        assert not any(name in page for name in ("PdfReadError", "Traceback"))
        answer = upload(client, b"just text")
        assert answer.status_code == 400 and "Not a PDF file" in answer.content.decode()
        settings.ELOKET_UPLOAD_MAX_BYTES = 1000
        answer = upload(client, pdf)
        assert answer.status_code == 413
        page = answer.content.decode()
        assert "The file is too large" in page and "Check the file" in page  # the form again
        settings.ELOKET_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
        settings.ELOKET_VERIFY_UPLOAD_RATE = 0
        answer = upload(client, pdf)
        assert answer.status_code == 429 and "Too many checks" in answer.content.decode()
