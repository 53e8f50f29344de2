"""The neighbours of a permit application (issue 13, point 4): when its public inquiry
opens, the residents whose register address lies within the service's distance of the
application's location (`public_inquiry.neighbours_within_m`, 100 m by default) are
told: by e-mail in their language where their account has an address (the outbox sends
it), else by a letter of the inquiry's letter batch, a PDF with one page per addressee
that the officer downloads and posts. Each resident read goes into their access log."""

import datetime as dt
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.identity.selectors import citizen_email, citizen_of
from eloket.inquiries.models import Channel, NeighbourNotice, PublicInquiry
from eloket.outbox.email import email_put
from eloket.register.selectors import address_point, residents_near
from eloket.tenants.links import municipality_base_url

DEFAULT_DISTANCE_M = 100


def distance_of(case: Any) -> int:
    spec = (case.case_type.options or {}).get("public_inquiry") or {}
    return int(spec.get("neighbours_within_m", DEFAULT_DISTANCE_M))


def location_point(municipality: Any, place: dict[str, Any] | None) -> tuple[float, float] | None:
    """Where the application is: the coordinates of its location answer, else its
    address as the register places it."""
    if not isinstance(place, dict):
        return None
    lat, lon = place.get("lat"), place.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    address = place.get("address")
    if isinstance(address, dict) and address.get("street"):
        return address_point(
            municipality=municipality,
            street=str(address["street"]),
            house_number=str(address.get("number", "")),
        )
    return None


def notice_url(inquiry: PublicInquiry) -> str:
    return f"{municipality_base_url(inquiry.municipality)}inquiries/{inquiry.pk}"


def _words(inquiry: PublicInquiry, language: str) -> dict[str, str]:
    """The message, in `language`: a subject and its paragraphs."""
    municipality = inquiry.municipality
    with translation.override(language):
        name = municipality.display_name(language)
        end = formats.date_format(timezone.localtime(inquiry.ends_at), "DATE_FORMAT")
        return {
            "subject": _("Public inquiry near your address: %(title)s")
            % {"title": inquiry.title_in(language)},
            "greeting": _("Hello,"),
            "what": _(
                "%(municipality)s holds a public inquiry on an application near your "
                "address: %(title)s, at %(location)s."
            )
            % {
                "municipality": name,
                "title": inquiry.title_in(language),
                "location": inquiry.location,
            },
            "description": inquiry.description,
            "how": _(
                "Until %(end)s anyone may read the application's public notice and its "
                "documents, and object: %(link)s"
            )
            % {"end": end, "link": notice_url(inquiry)},
            "regards": _("Kind regards,") + "\n" + name,
        }


def neighbours_notify(
    *, actor: Actor, municipality: Any, inquiry: PublicInquiry, point: Any
) -> int:
    """Tell the residents near `point` (lat, lon); how many were told. Inside the
    inquiry's opening transaction: the e-mails leave after its commit."""
    metres = distance_of(inquiry.case)
    if point is None or metres <= 0:
        return 0
    lat, lon = point
    found = residents_near(
        municipality=municipality,
        actor=actor,
        lat=lat,
        lon=lon,
        metres=metres,
        purpose=_("Public inquiry: telling the neighbours of an application"),
        case_ref=f"inquiry:{inquiry.pk}",
    )
    # The applicant knows: they are not told of their own application.
    applicant = citizen_of(inquiry.case.requester)
    notices = []
    for neighbour in found:
        person, address = neighbour.person, neighbour.address
        if applicant is not None and (person.country, person.national_id) == (
            applicant.country,
            applicant.national_id,
        ):
            continue
        contact = citizen_email(country=person.country, national_id=person.national_id)
        language = (contact[1] if contact else "") or municipality.default_language
        if contact:
            words = _words(inquiry, language)
            email_put(
                municipality=municipality,
                to=contact[0],
                subject=words["subject"][:200],
                body="\n\n".join(
                    w
                    for w in (
                        words["greeting"],
                        words["what"],
                        words["description"],
                        words["how"],
                        words["regards"],
                    )
                    if w
                ),
                ref=f"inquiry:{inquiry.pk}:neighbour",
            )
        box = f" bus {address.box}" if address.box else ""
        notices.append(
            NeighbourNotice(
                municipality=municipality,
                inquiry=inquiry,
                name=person.full_name[:200],
                street_line=f"{address.street} {address.house_number}{box}"[:200],
                city_line=f"{address.postcode} {address.municipality_name}"[:150],
                distance_m=round(neighbour.distance),
                channel=Channel.EMAIL if contact else Channel.LETTER,
                language=language,
            )
        )
    NeighbourNotice.objects.bulk_create(notices)
    return len(notices)


def letter_batch_pdf(inquiry: PublicInquiry, notices: list[NeighbourNotice]) -> bytes:
    """The letters for the post: one A4 page per addressee, for a window envelope, in
    the municipality's language."""
    from eloket.documents.render import render_pdf

    municipality = inquiry.municipality
    language = municipality.default_language
    words = _words(inquiry, language)
    with translation.override(language):
        today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    data = {
        "language": language,
        "sender": {
            "name": municipality.display_name(language),
            "address": getattr(municipality, "contact_address", "") or "",
        },
        "date": today,
        "letters": [
            {"name": n.name, "street": n.street_line, "city": n.city_line} for n in notices
        ],
        "subject": words["subject"],
        "paragraphs": [
            w for w in (words["greeting"], words["what"], words["description"], words["how"]) if w
        ],
        "regards": words["regards"],
    }
    return render_pdf("services/neighbour_letters", data, issued_at=dt.datetime.now(dt.UTC))
