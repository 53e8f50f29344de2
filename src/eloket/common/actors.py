"""Who is acting: a citizen, an officer of a municipality, or a system process.

Services and selectors that read or change personal data take an `Actor`, so that the
access log can say who did it and in which capacity.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class Tenant(Protocol):
    """What an actor needs of a municipality (common imports no other app)."""

    pk: Any
    slug: str

    def display_name(self, language: str | None = None) -> str: ...


class ActorKind(StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    MUNICIPALITY = (
        "municipality"  # the municipality as an organisation (e.g. an automatic decision)
    )
    SYSTEM = "system"  # a platform process (a background task, an import)


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    user_id: int | None = None
    municipality: "Tenant | None" = None
    # For citizens: the country and national identifier they logged in with.
    national_id: str = ""
    country: str = ""
    role: str = ""
    # For officers: the department they work in ("" for none).
    department: str = ""

    @classmethod
    def system(cls, process: str, municipality: "Tenant | None" = None) -> "Actor":
        return cls(kind=ActorKind.SYSTEM, label=process, municipality=municipality)

    @classmethod
    def for_municipality(cls, municipality: "Tenant", label: str = "") -> "Actor":
        return cls(
            kind=ActorKind.MUNICIPALITY,
            label=label or municipality.display_name(),
            municipality=municipality,
        )

    @property
    def user_pk(self) -> int:
        """The acting user's id, for an actor who is a user (a citizen, an officer)."""
        if self.user_id is None:
            raise ValueError(f"{self.kind} actor {self.label!r} is not a user")
        return self.user_id

    def is_person(self, country: str, national_id: str) -> bool:
        """Whether this actor is that person (reading one's own data is not logged)."""
        return (
            self.kind == ActorKind.CITIZEN
            and bool(self.national_id)
            and self.national_id == national_id
            and (not self.country or self.country == country)
        )

    def describe(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "label": self.label,
            "role": self.role,
            "municipality": self.municipality.slug if self.municipality else None,
        }
