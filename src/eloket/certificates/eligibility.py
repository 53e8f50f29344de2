"""Who may order a certificate about whom, decided from the register at the moment of
ordering (or, for a relative no register here holds, from the national register's answer).
A refusal says why, in the requester's language."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from eloket.certificates.models import CertificateKind, CertificateType, Requester, SubjectState
from eloket.common.errors import ApplicationError
from eloket.register.ages import age_on
from eloket.register.models import Person
from eloket.register.selectors import family_relations, household_members

if TYPE_CHECKING:
    from eloket.messaging.lookup import NationalPerson

ADULT_AGE = 18

# The certificates a citizen may order about a relative whom no register of the
# municipality holds (a parent who lived and died elsewhere): Eloket asks the national
# register, whose answer carries what the document needs (the death and its act).
NATIONAL_KINDS = (CertificateKind.DEATH_EXTRACT,)
# What the national register may answer a relative is, that counts as "a relative".
NATIONAL_RELATIONS = ("parent", "child", "sibling")


def asks_national_register(certificate_type: CertificateType) -> bool:
    """Whether an order of this certificate about someone the register does not hold asks
    the national register (instead of being refused at once): where one is configured."""
    from django.conf import settings

    return (
        bool(settings.ELOKET_REGISTRY_URL)
        and certificate_type.code in NATIONAL_KINDS
        and Requester.RELATIVE in certificate_type.requesters
    )


class NotAllowed(ApplicationError):
    code = "not_allowed"
    status = 403


def relation_to_subject(requester: Person, subject: Person) -> set[str]:
    """What the requester is to the subject, as far as the register shows."""
    relations: set[str] = set()
    if requester.pk == subject.pk:
        return {Requester.SELF}
    if any(m.person_id == requester.pk for m in household_members(person=subject)):
        relations.add(Requester.HOUSEHOLD)
    family = family_relations(person=subject)
    relation = family.get(requester.pk)
    if relation:
        relations.add(Requester.RELATIVE)
        age = age_on(subject)
        if relation == "parent" and age is not None and age < ADULT_AGE:
            relations.add(Requester.PARENT_OF_MINOR)
    return relations


def requester_labels(certificate_type: CertificateType) -> str:
    return ", ".join(str(Requester(r).label) for r in certificate_type.requesters)


def not_allowed_for_subject(certificate_type: CertificateType) -> NotAllowed:
    return NotAllowed(
        _(
            "You may not order this certificate about this person here. It is ordered "
            "from the municipality where the person is registered, by: %(who)s."
        )
        % {"who": requester_labels(certificate_type)},
        code="not_allowed_for_subject",
    )


def check_may_order_national(
    *, certificate_type: CertificateType, national: "NationalPerson | None"
) -> str:
    """The rule that lets the requester order this certificate about a person only the
    national register holds, from its answer to a question asked for the requester
    (`relation`), or NotAllowed. No answer (nobody by that number, or not a relative: the
    register then says nothing about them) is the same refusal as an unrelated person's."""
    if national is None or national.relation not in NATIONAL_RELATIONS:
        raise not_allowed_for_subject(certificate_type)
    allowed = [r for r in certificate_type.requesters if r == Requester.RELATIVE]
    if not allowed:
        raise not_allowed_for_subject(certificate_type)
    deceased = national.date_of_death is not None
    if certificate_type.subject_state == SubjectState.ALIVE and deceased:
        raise NotAllowed(
            _("%(name)s has died: a %(certificate)s cannot be issued about a deceased person.")
            % {"name": national.full_name, "certificate": certificate_type.label.lower()},
            code="subject_deceased",
        )
    if certificate_type.subject_state == SubjectState.DECEASED and not deceased:
        raise NotAllowed(
            _("The national register does not record %(name)s as deceased.")
            % {"name": national.full_name},
            code="subject_not_deceased",
        )
    return allowed[0]


def check_may_order(
    *, certificate_type: CertificateType, requester: Person, subject: Person
) -> str:
    """The rule that lets `requester` order this certificate about `subject` (or NotAllowed).
    The relation is checked first: someone unrelated learns nothing about the subject."""
    relations = relation_to_subject(requester, subject)
    allowed = [r for r in certificate_type.requesters if r in relations]
    if not allowed:
        raise not_allowed_for_subject(certificate_type)
    if certificate_type.subject_state == SubjectState.ALIVE and subject.is_deceased:
        raise NotAllowed(
            _("%(name)s has died: a %(certificate)s cannot be issued about a deceased person.")
            % {"name": subject.full_name, "certificate": certificate_type.label.lower()},
            code="subject_deceased",
        )
    if certificate_type.subject_state == SubjectState.DECEASED and not subject.is_deceased:
        raise NotAllowed(
            _("The register does not record %(name)s as deceased.") % {"name": subject.full_name},
            code="subject_not_deceased",
        )
    return allowed[0]


def orderable_subjects(
    *, certificate_type: CertificateType, requester: Person
) -> list[tuple[Person, str]]:
    """The people the requester may order this certificate about, with the rule that allows
    it (offered in the order form)."""
    candidates: dict[int, Person] = {requester.pk: requester}
    for membership in household_members(person=requester):
        candidates[membership.person_id] = membership.person
    from eloket.register.selectors import persons_by_pk

    candidates.update(persons_by_pk(pks=list(family_relations(person=requester))))
    result = []
    for person in candidates.values():
        try:
            rule = check_may_order(
                certificate_type=certificate_type, requester=requester, subject=person
            )
        except NotAllowed:
            continue
        result.append((person, rule))
    result.sort(key=lambda item: (item[0].pk != requester.pk, item[0].full_name))
    return result
