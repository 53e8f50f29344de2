"""Issuing, revoking and superseding documents. Every change of a document's public
status is a row (`DocumentStatusChange`) and an audit event."""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.observability import CERTIFICATES_ISSUED
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.documents.codes import (
    attested_digest,
)
from eloket.documents.models import DocumentStatus, DocumentStatusChange, IssuedDocument
from eloket.documents.prepare import PreparedDocument, document_prepare
from eloket.documents.seal import document_signers
from eloket.register.models import Person
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import plugin_chosen


def document_issue(
    *,
    actor: Actor,
    municipality: Municipality,
    kind: str,
    language: str,
    subject: Person | None,
    data: dict[str, Any],
    attested: Any,
    summary: dict[str, Any],
    case: Any = None,
    reason: str,
    template: str = "",
) -> IssuedDocument:
    """Render `template` (by default the certificate template named `kind`), seal it
    (with the municipality's signer) and store it as a document of `kind` under a new
    code. Inside the caller's transaction."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    prepared = document_prepare(municipality=municipality, kind=kind, data=data, template=template)
    return document_seal_and_store(
        actor=actor,
        municipality=municipality,
        prepared=prepared,
        kind=kind,
        language=language,
        subject=subject,
        attested=attested,
        summary=summary,
        case=case,
        reason=reason,
        location=data.get("municipality", {}).get("place", municipality.display_name()),
    )


def document_seal_and_store(
    *,
    actor: Actor,
    municipality: Municipality,
    prepared: PreparedDocument,
    kind: str,
    language: str,
    subject: Person | None,
    attested: Any,
    summary: dict[str, Any],
    case: Any = None,
    reason: str,
    location: str,
) -> IssuedDocument:
    """Seal a prepared document (which may already carry officers' signatures: the seal
    is appended after them) and store it under its code. Inside the caller's
    transaction."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    issued_at = timezone.now().replace(microsecond=0)
    signer = document_signers[
        plugin_chosen(municipality=municipality, registry="document_signers", default="pades")
    ]
    sealed, timestamped = signer.seal(
        prepared.pdf, municipality=municipality, reason=reason, location=location
    )
    # A code drawn twice (1 in 27^12) would fail the unique index and with it the
    # caller's transaction; the outbox then runs the step again.
    document = IssuedDocument.objects.create(
        municipality=municipality,
        code=prepared.code,
        case=case,
        kind=kind,
        language=language,
        subject=subject,
        summary=summary,
        issued_at=issued_at,
        pdf=sealed,
        sha256=hashlib.sha256(sealed).hexdigest(),
        attested_digest=attested_digest(attested),
        timestamped=timestamped,
    )
    counted = CERTIFICATES_ISSUED.labels(municipality.slug, kind)
    transaction.on_commit(counted.inc)
    return document


def _change_status(
    document: IssuedDocument, *, actor: Actor, to_status: str, reason: str
) -> IssuedDocument:
    """Inside a transaction, with `document` locked."""
    now = timezone.now()
    DocumentStatusChange.objects.create(
        municipality_id=document.municipality_id,
        document=document,
        at=now,
        from_status=document.status,
        to_status=to_status,
        reason=reason[:300],
        **DocumentStatusChange.by(actor),
    )
    audit_record(
        actor=actor,
        municipality=document.municipality,
        action=f"document.{to_status}",
        object_type="document",
        object_ref=document.code,
        reason=reason,
        data={"from": document.status, "to": to_status, "kind": document.kind},
    )
    document.status = to_status
    document.status_changed_at = now
    document.status_reason = reason[:300]
    if to_status == DocumentStatus.REVOKED:
        document.revoked_by_id = actor.user_id
    document.save(update_fields=["status", "status_changed_at", "status_reason", "revoked_by"])
    return document


def document_revoke(
    *, actor: Actor, municipality: Municipality, document: IssuedDocument, reason: str
) -> IssuedDocument:
    """An officer revokes a document: verification says so from now on, with the reason."""
    authorize(actor, municipality, Permission.DOCUMENT_REVOKE)
    same_municipality(municipality, document)
    reason = reason.strip()
    refuse_hidden_characters(reason)
    if not reason:
        raise ApplicationError(_("Give the reason for revoking."), code="reason_required")
    with transaction.atomic():
        locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status == DocumentStatus.REVOKED:
            raise ApplicationError(_("This document is already revoked."), code="wrong_state")
        return _change_status(locked, actor=actor, to_status=DocumentStatus.REVOKED, reason=reason)


def documents_supersede(
    *,
    actor: Actor,
    municipality: Municipality,
    documents: Iterable[IssuedDocument],
    reason: str,
) -> int:
    """Mark valid documents superseded (the register data they attest changed)."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    count = 0
    with transaction.atomic():
        for document in documents:
            same_municipality(municipality, document)
            locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
            if locked.status != DocumentStatus.VALID:
                continue
            _change_status(locked, actor=actor, to_status=DocumentStatus.SUPERSEDED, reason=reason)
            count += 1
    return count


# --- A municipality's seal key (onboarding, docs/onboarding.md)


def seal_provide(
    *, actor: Actor, municipality: Municipality, p12: bytes | None = None
) -> tuple[str, str]:
    """Give the municipality its seal key: install the PKCS#12 file `p12` (checked first;
    its passphrase is ELOKET_SEAL_PASSPHRASE), or, without one on a development or demo
    platform, issue one from the demo root. A seal already there is kept. Returns what
    was done ("kept", "installed", "issued") and the seal certificate's subject or path.
    The platform operator's act (a system actor); audited."""
    from pathlib import Path

    from django.conf import settings

    from eloket.common.actors import ActorKind
    from eloket.common.permissions import PermissionDenied
    from eloket.documents import pki

    authorize(actor, municipality, Permission.CONFIGURE)
    if actor.kind != ActorKind.SYSTEM:
        raise PermissionDenied(_("Only the platform operator installs seal keys."))
    if pki.seal_present(municipality):
        # Never replaced here: documents sealed with it must stay verifiable.
        directory = Path(settings.ELOKET_SEAL_DIR)
        kept = [
            str(directory / f"{municipality.slug}{suffix}")
            for suffix in (".p12", ".cert.pem")
            if (directory / f"{municipality.slug}{suffix}").exists()
        ]
        return "kept", kept[0]
    if p12 is not None:
        found = pki.seal_file_check(p12)
        path = pki.seal_file_install(municipality, p12)
        what, detail = "installed", f"{found.subject}, valid until {found.not_after:%Y-%m-%d}"
    elif pki.demo_seal_allowed():
        path = pki.demo_seal(Path(settings.ELOKET_SEAL_DIR).parent, municipality)
        what, detail = "issued", str(path)
    else:
        raise pki.SealNotConfigured(
            _(
                "%(name)s has no seal key: give its PKCS#12 file (from a trust service "
                "provider) with --seal."
            )
            % {"name": municipality.display_name()}
        )
    audit_record(
        actor=actor,
        municipality=municipality,
        action="seal.provided",
        object_type="seal",
        object_ref=municipality.slug,
        data={"how": what, "file": path.name},
    )
    return what, detail
