"""What a verification says, in the reader's language: a headline, what failed (or held),
and what to do; and each check in words. Made when the page or the API answer is made,
so in the language active then, with the issuer's name in that language."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from eloket.common.uploads import megabytes
from eloket.documents.verify import Check, Outcome, Verification


@dataclass(frozen=True)
class Verdict:
    good: bool
    headline: str
    explanation: str
    advice: str


def check_label(check: Check) -> str:
    labels = {
        Check.SIZE: _("The file is no larger than %(mb)s MB.")
        % {"mb": megabytes(settings.ELOKET_UPLOAD_MAX_BYTES)},
        Check.READABLE: _("The file is a PDF that can be read."),
        Check.SEALED: _("The PDF carries an electronic seal."),
        Check.SEALER: _("The seal was made by a municipality on this platform."),
        Check.INTACT: _("Nothing was changed after the seal was made."),
        Check.REGISTERED: _("The municipality registered this exact file."),
        Check.CODE: _("A document was issued under this code."),
        Check.STATUS: _("The document is still valid: not revoked, not superseded."),
    }
    return str(labels[check])


def verdict_of(result: Verification) -> Verdict:
    name = result.municipality.display_name(get_language()) if result.municipality else ""
    by_upload = result.method == "upload"
    outcome = result.outcome
    if outcome == Outcome.VALID:
        if by_upload:
            return Verdict(
                True,
                _("Authentic and valid"),
                _(
                    "This file is exactly the document %(name)s issued and sealed, and it is still valid."
                )
                % {"name": name},
                _(
                    "You can rely on its content. Check that the details below are those of the person or matter you were told about."
                ),
            )
        return Verdict(
            True,
            _("Valid"),
            _("%(name)s issued a document under this code, and it is still valid.")
            % {"name": name},
            _(
                "Check that the details below match the document you were shown. A code alone does not prove that a paper or a copy was not changed: to be sure, upload the PDF."
            ),
        )
    if outcome == Outcome.SUPERSEDED:
        return Verdict(
            False,
            _("Authentic, but superseded"),
            _(
                "%(name)s issued this document, but the register data it attests changed afterwards (a move, for example): it no longer describes the current situation."
            )
            % {"name": name},
            _(
                "Do not rely on it for the current situation: ask for a fresh document, which the person can order from %(name)s."
            )
            % {"name": name},
        )
    if outcome == Outcome.REVOKED:
        return Verdict(
            False,
            _("Revoked"),
            _("%(name)s issued this document but withdrew it: it is no longer valid.")
            % {"name": name},
            _("Do not rely on it. Ask the person for a new document, or contact %(name)s.")
            % {"name": name},
        )
    if outcome == Outcome.UNKNOWN_CODE:
        return Verdict(
            False,
            _("Unknown code"),
            _("No document was issued with this code."),
            _(
                "Check that you typed the code as printed under the QR code: 12 letters and digits, such as BCDF-GHJK-MNPQ. If it is right, this is not a document issued on this platform: do not trust it."
            ),
        )
    if outcome == Outcome.NOT_A_PDF:
        return Verdict(
            False,
            _("Not a PDF file"),
            _("This file is not a PDF, so it cannot carry a municipality's seal."),
            _(
                "Upload the PDF file you received (its name ends in .pdf), not a photo or a scan. For a paper document, type the code printed on it."
            ),
        )
    if outcome == Outcome.UNREADABLE:
        return Verdict(
            False,
            _("The file cannot be read"),
            _("This file is damaged or incomplete: it cannot be read as a PDF."),
            _(
                "Download the document again, or ask for it again, and upload that copy. For a paper document, type the code printed on it."
            ),
        )
    if outcome == Outcome.NO_SEAL:
        return Verdict(
            False,
            _("No seal"),
            _(
                "This PDF carries no electronic seal, so nothing shows that a municipality issued it as it is. A scan, a print to PDF or a file saved again by another program has no seal."
            ),
            _(
                "Ask for the original PDF as the municipality delivered it, or type the code printed on the document."
            ),
        )
    if outcome == Outcome.UNKNOWN_SEALER:
        return Verdict(
            False,
            _("Not sealed by a known municipality"),
            _(
                "This PDF carries a seal, but not one made by a municipality on this platform, or one that is damaged."
            ),
            _(
                "Do not trust this file. Ask for the original PDF, or type the code printed on the document."
            ),
        )
    if outcome == Outcome.TAMPERED:
        return Verdict(
            False,
            _("Changed after it was sealed"),
            _(
                "%(name)s sealed this document, but the file was changed afterwards: what it says now may not be what %(name)s issued."
            )
            % {"name": name},
            _("Do not trust this file. Ask %(name)s, or ask the person to order a fresh document.")
            % {"name": name},
        )
    if outcome == Outcome.UNREGISTERED:
        return Verdict(
            False,
            _("Sealed, but not registered"),
            _(
                "The seal of %(name)s is intact, but no document with exactly this content was registered on this platform."
            )
            % {"name": name},
            _("Do not rely on it until %(name)s confirms it: contact %(name)s.") % {"name": name},
        )
    if outcome == Outcome.TOO_LARGE:
        return Verdict(
            False,
            _("The file is too large"),
            result.message,
            _(
                "Documents issued here are PDFs of a few hundred kilobytes: check that you chose the right file."
            ),
        )
    return Verdict(  # Outcome.RATE_LIMITED
        False,
        _("Too many checks"),
        result.message,
        _("Wait a minute, then try again."),
    )
