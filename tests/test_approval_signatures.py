"""Signed acts (issue 13, point 3): every approval of a draft decision is an incremental
PAdES signature made with the approving officer's own key and certificate (issued by the
municipality's CA: the demo PKI here), the municipality's seal closes the decision, a
return takes the signatures it voids back out, a delegate signs with their own key in
both names, and /verify/ lists the signers, each checked independently with pyHanko."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from conftest import citizen_user
from eloket.approvals.models import ApprovalAct, DraftDecision
from eloket.approvals.services import approval_act, delegation_create
from eloket.cases.services import case_act
from eloket.documents.models import IssuedDocument
from eloket.documents.pki import trust_roots
from eloket.documents.signatures import signatures_checked
from eloket.documents.verify import Outcome, verify_code, verify_pdf
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import officer_actor
from test_attacks_uploads import one_byte_changed
from test_services_documents import DEFINITION, after_commit, pdf_text, submit

CHAIN = {
    "steps": [
        {
            "name": "head",
            "title": {"en": "Head of events", "nl": "Diensthoofd evenementen"},
            "approvers": [{"role": "head", "department": "events"}],
        },
        {
            "name": "administrator",
            "title": {"en": "Administrator"},
            "approvers": [{"role": "admin"}],
            "require": "any",
        },
    ]
}


def _officer(make_officer, gent, username, first, last, department="", role="clerk"):
    user = make_officer(username, gent, role=role)
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    OfficerRole.objects.filter(user=user).update(department=department)
    return officer_actor(OfficerRole.objects.get(user=user, municipality=gent))


@pytest.fixture
def people(gent, make_officer):
    return {
        "clerk": _officer(make_officer, gent, "eva", "Eva", "Claes", "events"),
        "head": _officer(make_officer, gent, "hilde", "Hilde", "Peeters", "events", "head"),
        "admin": _officer(make_officer, gent, "ada", "Ada", "Wouters", "", "admin"),
        "admin2": _officer(make_officer, gent, "arne", "Arne", "Smet", "", "admin"),
    }


@pytest.fixture
def permit(gent, family, seals, people):
    from eloket.common.actors import Actor
    from eloket.services.services import service_publish

    service_publish(
        actor=Actor.system("test", gent),
        municipality=gent,
        definition={**DEFINITION, "approval_chain": CHAIN},
    )
    case = submit(gent, family["Jan"])
    with after_commit():
        case_act(
            actor=people["clerk"], municipality=gent, case=case, action="approve", reason="Fine."
        )
    return case


def _act(gent, case, actor, action="approve", comment=""):
    with after_commit():
        approval_act(actor=actor, municipality=gent, case=case, action=action, comment=comment)
    case.refresh_from_db()


def _signatures(pdf: bytes):
    return list(PdfFileReader(io.BytesIO(pdf)).embedded_signatures)


def _independently_checked(pdf: bytes):
    """pyHanko's own validation of every signature, outside Eloket's code."""
    out = []
    context = ValidationContext(trust_roots=trust_roots())
    for signature in _signatures(pdf):
        status = validate_pdf_signature(signature, context)
        assert status.intact and status.valid and status.trusted, signature.field_name
        out.append((signature.field_name, status))
    return out


def test_each_approval_is_a_signature_of_that_officer_and_the_seal_closes_it(gent, permit, people):
    case = permit
    draft = DraftDecision.objects.get(case=case)
    # Submitted: the decision document exists, with its code printed in it, signed by the
    # clerk who prepared it (and by nobody else yet).
    [prepared] = _signatures(bytes(draft.pdf))
    assert len(draft.document_code) == 12
    assert prepared.signer_cert.subject.native["common_name"] == "Eva Claes"
    _act(gent, case, people["head"], comment="Internal: check the noise rules.")
    draft.refresh_from_db()
    [_prepared, head] = _signatures(bytes(draft.pdf))
    assert head.signer_cert.subject.native["common_name"] == "Hilde Peeters"
    _act(gent, case, people["admin"])
    assert case.status == "approved"
    decision = IssuedDocument.objects.get(case=case, kind="service_decision")
    assert decision.code == draft.document_code
    pdf = bytes(decision.pdf)
    checked = _independently_checked(pdf)
    assert [name for name, _s in checked] == ["Prepared", "Approval0", "Approval1", "EloketSeal"]
    subjects = [status.signing_cert.subject.native for _n, status in checked]
    assert [s["common_name"] for s in subjects] == [
        "Eva Claes",
        "Hilde Peeters",
        "Ada Wouters",
        "Stad Gent — electronic seal",
    ]
    assert subjects[1]["title"] == "Head of department" or subjects[1]["title"]
    assert subjects[1]["organizational_unit_name"] == "events"
    assert all(s["organization_name"] == "Stad Gent" for s in subjects)
    # Each officer has a key pair of their own.
    keys = {status.signing_cert.public_key.dump() for _n, status in checked}
    assert len(keys) == 4
    # Earlier signatures cover their revision; only signatures were added after them.
    assert [status.coverage.name for _n, status in checked] == [
        "ENTIRE_REVISION",
        "ENTIRE_REVISION",
        "ENTIRE_REVISION",
        "ENTIRE_FILE",
    ]
    ours = signatures_checked(pdf)
    assert [(c.name, c.is_seal, c.good) for c in ours] == [
        ("Eva Claes", False, True),
        ("Hilde Peeters", False, True),
        ("Ada Wouters", False, True),
        ("Stad Gent — electronic seal", True, True),
    ]
    assert ours[0].signed_at <= ours[1].signed_at <= ours[2].signed_at <= ours[3].signed_at
    # The document says who approves it and when it was prepared; never the comment.
    text = pdf_text(decision)
    assert "Head of events" in text and "Administrator" in text
    assert decision.display_code in text
    assert "noise rules" not in text
    assert verify_pdf(pdf).outcome == Outcome.VALID
    assert verify_pdf(one_byte_changed(pdf)).outcome == Outcome.TAMPERED


def test_a_return_takes_back_the_signatures_it_voids(gent, permit, people):
    case = permit
    _act(gent, case, people["head"])
    _act(gent, case, people["admin"], action="return", comment="Add the end time.")
    draft = DraftDecision.objects.get(case=case)
    # Back to the document as its drafter signed it: the voided approval is gone.
    [prepared] = _signatures(bytes(draft.pdf))
    assert draft.step == 0 and prepared.field_name == "Prepared"
    assert ApprovalAct.objects.filter(draft=draft, kind="approve", void=True).count() == 1
    _act(gent, case, people["head"])
    _act(gent, case, people["admin"])
    decision = IssuedDocument.objects.get(case=case, kind="service_decision")
    names = [s.signer_cert.subject.native["common_name"] for s in _signatures(bytes(decision.pdf))]
    assert names == ["Eva Claes", "Hilde Peeters", "Ada Wouters", "Stad Gent — electronic seal"]


def test_a_delegate_signs_with_their_own_key_in_both_names(gent, permit, people):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    delegation_create(
        actor=people["head"],
        municipality=gent,
        delegate_username="arne",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=3),
    )
    case = permit
    _act(gent, case, people["admin2"])  # for Hilde, who is away
    draft = DraftDecision.objects.get(case=case)
    [_prepared, signature] = _signatures(bytes(draft.pdf))
    assert signature.signer_cert.subject.native["common_name"] == "Arne Smet"
    assert "Hilde Peeters" in str(signature.sig_object["/Reason"])


def test_verify_lists_the_signers_by_code_and_by_upload(client, gent, permit, people):
    case = permit
    _act(gent, case, people["head"])
    _act(gent, case, people["admin"])
    decision = IssuedDocument.objects.get(case=case, kind="service_decision")
    result = verify_code(decision.code)
    assert [s.name for s in result.signatures] == [
        "Eva Claes",
        "Hilde Peeters",
        "Ada Wouters",
        "Stad Gent — electronic seal",
    ]
    page = client.get(f"/verify/{decision.code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Signatures" in page and "Hilde Peeters" in page and "Ada Wouters" in page
    assert "events" in page
    upload = SimpleUploadedFile("decision.pdf", bytes(decision.pdf), "application/pdf")
    page = client.post("/verify/", {"document": upload}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Authentic and valid" in page and "Hilde Peeters" in page
    assert page.count("Valid; nothing changed since") == 4
    api = client.get(f"/api/v1/verify/{decision.code}").json()
    assert [s["name"] for s in api["signatures"]][:3] == [
        "Eva Claes",
        "Hilde Peeters",
        "Ada Wouters",
    ]


def test_a_certificate_has_no_signer_list(gent, permit, people, client):
    # A document sealed once (the receipt) lists only the seal, and the page shows no
    # list of signers for it.
    receipt = IssuedDocument.objects.get(case=permit, kind="service_receipt")
    assert verify_code(receipt.code).signatures == []
    page = client.get(f"/verify/{receipt.code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Valid; nothing changed since" not in page


def test_citizen_timeline_names_the_role_and_never_the_comment(
    client, gent, family, permit, people
):
    case = permit
    _act(gent, case, people["head"], comment="Internal: the neighbours complained before.")
    client.force_login(citizen_user(family["Jan"]))
    page = client.get(f"/gent/requests/{case.tracking_code}", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "approved by Hilde Peeters" in text
    assert "neighbours complained" not in text


def test_a_change_between_two_signatures_is_named(gent, permit, people):
    """Someone changes the signed document and then signs it again: the later signature
    is sound, but the earlier one reads "changed after it was signed"."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from eloket.documents.seal import approval_signers

    case = permit
    _act(gent, case, people["head"])
    draft = DraftDecision.objects.get(case=case)
    writer = IncrementalPdfFileWriter(io.BytesIO(bytes(draft.pdf)))
    writer.root["/Lang"] = generic.pdf_string("fr")  # anything but a signature
    writer.update_root()
    changed = io.BytesIO()
    writer.write(changed)
    resigned = approval_signers["officer_keys"].sign(
        changed.getvalue(),
        municipality=gent,
        username="ada",
        name="Ada Wouters",
        role="Administrator",
        department="",
        field_name="Approval1",
        reason="Approved",
        location="Gent",
    )
    checked = signatures_checked(resigned)
    assert [(c.name, c.valid, c.unchanged_since) for c in checked] == [
        ("Eva Claes", True, False),
        ("Hilde Peeters", True, False),
        ("Ada Wouters", True, True),
    ]


def test_no_signing_key_no_approval(gent, permit, people, settings):
    from eloket.documents.pki import SealNotConfigured

    settings.ELOKET_OFFICER_KEY_DIR = ""
    case = permit
    with pytest.raises(SealNotConfigured):
        _act(gent, case, people["head"])
    draft = DraftDecision.objects.get(case=case)
    assert draft.step == 0 and len(_signatures(bytes(draft.pdf))) == 1  # the drafter's
    assert not ApprovalAct.objects.filter(draft=draft, kind="approve").exists()
    assert case.status == "submitted"


def test_no_signing_key_no_submission(gent, family, seals, people, settings):
    """The clerk signs what they submit: without their key nothing is submitted."""
    from eloket.common.actors import Actor
    from eloket.documents.pki import SealNotConfigured
    from eloket.services.services import service_publish

    service_publish(
        actor=Actor.system("test", gent),
        municipality=gent,
        definition={**DEFINITION, "approval_chain": CHAIN},
    )
    case = submit(gent, family["Jan"])
    settings.ELOKET_OFFICER_KEY_DIR = ""
    with pytest.raises(SealNotConfigured), after_commit():
        case_act(
            actor=people["clerk"], municipality=gent, case=case, action="approve", reason="Fine."
        )
    case.refresh_from_db()
    assert case.status == "submitted"
    assert not DraftDecision.objects.filter(case=case).exists()
    assert not ApprovalAct.objects.filter(draft__case=case).exists()


def test_an_approver_reads_the_draft_as_it_will_be_signed(client, gent, family, permit, people):
    from django.contrib.auth.models import User

    from conftest import officer_login_client

    case = permit
    _act(gent, case, people["head"])
    officer_login_client(client, User.objects.get(username="ada"))
    page = client.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    url = f"/gent/backoffice/requests/{case.tracking_code}/draft-decision.pdf"
    assert url in page
    answer = client.get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert "no-store" in answer["Cache-Control"]
    [_prepared, signature] = _signatures(answer.content)
    assert signature.signer_cert.subject.native["common_name"] == "Hilde Peeters"
    # Not for the requester, nor for anyone without a draft to read.
    client.logout()
    client.force_login(citizen_user(family["Jan"]))
    assert client.get(url).status_code in (302, 403, 404)
