"""The documents a service produces (issue 12): a sealed receipt on submission, a sealed
decision on approval or rejection with the officer's reason, made once after the commit
(an outbox retry makes no second one), downloaded by the requester and the officers of
the service's department only, and called authentic by /verify/."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from conftest import citizen_user
from eloket.cases.models import StatusChange
from eloket.cases.services import case_act
from eloket.common.actors import Actor
from eloket.documents.models import SERVICE_KINDS, IssuedDocument
from eloket.documents.verify import Outcome, verify_code, verify_pdf
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor
from eloket.outbox.models import OutboxMessage
from eloket.services import documents
from eloket.services.services import service_publish, service_request_submit


def after_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def _texts(en, **others):
    return {"en": en, **others}


DEFINITION = {
    "code": "street_party",
    "names": _texts("Street party", nl="Straatfeest", ko="골목 잔치"),
    "department": "events",
    "processing_days": 20,
    "audience": "anyone",
    "fee": {"amount": 25, "currency": "EUR"},
    "documents": {
        "receipt": {"template": "receipt"},
        "decision": {
            "template": "decision",
            "texts": {
                "approve": _texts("The party may take place.", nl="Het feest mag doorgaan."),
                "reject": _texts("The party may not take place.", nl="Het feest mag niet."),
            },
        },
    },
    "form": {
        "steps": [
            {
                "name": "party",
                "title": _texts("The party", nl="Het feest", ko="잔치"),
                "fields": [
                    {
                        "name": "street",
                        "type": "text",
                        "label": _texts("Street", nl="Straat", ko="거리"),
                        "required": True,
                    },
                    {
                        "name": "visitors",
                        "type": "number",
                        "label": _texts("Expected visitors", nl="Verwachte bezoekers"),
                        "integer": True,
                    },
                ],
            }
        ]
    },
}
ANSWERS = {"street": "Veldstraat", "visitors": 120}


def publish(municipality, **changes):
    return service_publish(
        actor=Actor.system("test", municipality),
        municipality=municipality,
        definition={**DEFINITION, **changes},
    )


def submit(municipality, person, answers=ANSWERS, language="en"):
    from django.utils import translation

    actor = citizen_actor_of(citizen_user(person))
    with translation.override(language), after_commit():
        case, _new = service_request_submit(
            actor=actor,
            municipality=municipality,
            code="street_party",
            answers=answers,
            idempotency_key=f"k-{person.pk}-{language}",
            contact_email="jan@example.org",
        )
    case.refresh_from_db()
    return case


@pytest.fixture
def clerk(gent, make_officer):
    user = make_officer("events.clerk", gent)
    OfficerRole.objects.filter(user=user).update(department="events")
    return user, officer_actor(OfficerRole.objects.get(user=user))


def decide(municipality, clerk, case, action, reason=""):
    with after_commit():
        case_act(actor=clerk[1], municipality=municipality, case=case, action=action, reason=reason)
    case.refresh_from_db()
    return case


def pdf_text(document) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(bytes(document.pdf))
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


def assert_sealed_by(document, organisation):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from eloket.documents.pki import trust_roots

    signature = PdfFileReader(io.BytesIO(bytes(document.pdf))).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=trust_roots()))
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["organization_name"] == organisation
    assert status.coverage.name == "ENTIRE_FILE"


def test_a_sealed_receipt_on_submission(gent, family, seals):
    publish(gent)
    case = submit(gent, family["Jan"])
    receipt = IssuedDocument.objects.get(case=case)
    assert receipt.kind == "service_receipt" and receipt.api_kind == "receipt"
    assert receipt.subject is None and receipt.language == "en"
    assert bytes(receipt.pdf).startswith(b"%PDF")
    assert_sealed_by(receipt, "Stad Gent")
    text = pdf_text(receipt)
    for expected in (
        "Acknowledgement of receipt",
        "Street party",
        case.display_code,
        "Veldstraat",
        "120",
        "€ 25,00",
        family["Jan"].full_name,
    ):
        assert expected in text, expected
    assert family["Jan"].national_id not in text
    assert family["Jan"].national_id not in str(receipt.summary)
    assert verify_pdf(bytes(receipt.pdf)).outcome == Outcome.VALID


def test_the_decision_on_approval_and_on_rejection_with_the_reason(gent, family, seals, clerk):
    publish(gent)
    approved = decide(gent, clerk, submit(gent, family["Jan"]), "approve")
    assert approved.status == "approved"
    decision = IssuedDocument.objects.get(case=approved, kind="service_decision")
    assert decision.api_kind == "decision"
    assert_sealed_by(decision, "Stad Gent")
    text = pdf_text(decision)
    assert "Approved" in text and "The party may take place." in text
    assert approved.display_code in text and "Veldstraat" in text

    rejected = submit(gent, family["Sofie"], language="nl")
    rejected = decide(gent, clerk, rejected, "reject", reason="De straat is dan opgebroken.")
    decision = IssuedDocument.objects.get(case=rejected, kind="service_decision")
    assert decision.language == "nl"
    text = pdf_text(decision)
    assert "Geweigerd" in text and "Het feest mag niet." in text
    assert "De straat is dan opgebroken." in text and "Straatfeest" in text
    assert IssuedDocument.objects.filter(case=rejected).count() == 2  # receipt, decision


def test_an_information_sheet_as_the_decision(gent, family, seals, clerk):
    documents_ = {"decision": {"template": "information_sheet"}}
    publish(gent, documents=documents_)
    case = decide(gent, clerk, submit(gent, family["Jan"]), "approve")
    sheet = IssuedDocument.objects.get(case=case)
    assert sheet.api_kind == "decision"
    text = pdf_text(sheet)
    assert "Information sheet" in text and "Veldstraat" in text


def test_no_document_when_the_definition_asks_for_none(gent, family, seals, clerk):
    publish(gent, documents={})
    case = decide(gent, clerk, submit(gent, family["Jan"]), "reject", reason="No.")
    assert case.status == "rejected"
    assert not IssuedDocument.objects.exists()


def test_an_outbox_retry_makes_no_second_document(gent, family, seals, clerk):
    publish(gent)
    case = decide(gent, clerk, submit(gent, family["Jan"]), "approve")
    assert IssuedDocument.objects.filter(case=case).count() == 2
    # Made by the task worker: the citizen's answer does not wait for typst and the seal.
    hooks = OutboxMessage.objects.filter(ref=f"case:{case.tracking_code}", kind__startswith="case.")
    assert {m.kind for m in hooks} == {"case.hook.background"} and hooks.count() == 2
    for change in StatusChange.objects.filter(case=case, to_status__in=["submitted", "approved"]):
        # What the outbox runs again when it could not mark the first run done.
        again = documents.service_document_for(case, change)
        assert again is not None
    assert IssuedDocument.objects.filter(case=case).count() == 2
    assert sorted(IssuedDocument.objects.filter(case=case).values_list("kind", flat=True)) == [
        "service_decision",
        "service_receipt",
    ]


def test_verify_calls_it_authentic(client, gent, family, seals, clerk):
    publish(gent)
    case = decide(gent, clerk, submit(gent, family["Jan"]), "approve")
    decision = IssuedDocument.objects.get(case=case, kind="service_decision")
    assert verify_code(decision.code).outcome == Outcome.VALID
    page = client.get(f"/verify/{decision.code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h2 id="verdict">Valid</h2>' in page
    assert "Decision" in page and case.display_code in page and "Street party" in page
    assert family["Jan"].national_id not in page
    upload = SimpleUploadedFile("decision.pdf", bytes(decision.pdf), "application/pdf")
    page = client.post("/verify/", {"document": upload}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Authentic and valid" in page and decision.display_code in page


def test_the_requester_downloads_and_nobody_else(client, gent, family, seals, clerk, make_officer):
    from conftest import officer_login_client

    publish(gent)
    case = decide(gent, clerk, submit(gent, family["Jan"]), "reject", reason="Too loud.")
    decision = IssuedDocument.objects.get(case=case, kind="service_decision")
    url = f"/gent/requests/{case.tracking_code}/documents/{decision.code}.pdf"

    client.force_login(citizen_user(family["Jan"]))
    page = client.get(f"/gent/requests/{case.tracking_code}").content.decode()
    assert "Documenten" in page and "Beslissing" in page and url in page  # Gent speaks Dutch
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response) == bytes(decision.pdf)
    assert "decision-" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]

    client.force_login(citizen_user(family["Pieter"]))  # another citizen
    assert client.get(url).status_code == 404
    assert client.get(f"/gent/requests/{case.tracking_code}").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login

    # The back office: the department's clerk, not another department's.
    office_url = f"/gent/backoffice/requests/{case.tracking_code}/documents/{decision.code}.pdf"
    officer_login_client(client, clerk[0])
    assert client.get(office_url).status_code == 200
    page = client.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    assert office_url in page
    other = make_officer("parks.clerk", gent)
    OfficerRole.objects.filter(user=other).update(department="parks")
    client.logout()
    officer_login_client(client, other)
    assert client.get(office_url).status_code == 404


def test_the_decision_email_points_to_the_document(gent, family, seals, clerk, settings):
    settings.ELOKET_STATUS_EMAIL_QUIET_SECONDS = 0
    publish(gent)
    case = submit(gent, family["Jan"])
    mail.outbox.clear()
    decide(gent, clerk, case, "approve")
    bodies = [m.body for m in mail.outbox if case.display_code in m.subject]
    assert bodies and "The sealed document is on your request's page" in bodies[-1]


def test_korean_documents_set_hangul(make_municipality, seals, family):
    seoul = make_municipality(
        "seoul",
        names={"ko": "서울특별시", "en": "Seoul"},
        languages=["ko", "en"],
        country="KR",
        nis_code="1100000000",
    )
    seals()
    publish(seoul)
    # Open to anyone with an eID: a visitor from Gent applies in Korean.
    case = submit(seoul, family["Jan"], answers={"street": "세종대로"}, language="ko")
    receipt = IssuedDocument.objects.get(case=case)
    assert receipt.language == "ko"
    text = pdf_text(receipt)
    assert "접수증" in text and "세종대로" in text and "골목 잔치" in text
    assert_sealed_by(receipt, "서울특별시")


def test_the_kinds_the_api_names():
    assert SERVICE_KINDS == {documents.RECEIPT: "receipt", documents.DECISION: "decision"}
