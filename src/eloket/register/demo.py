"""A deterministic generator of synthetic residents (same seed -> same people).

It produces the same records an import does, so they go through the same validation and
writes. Households are built as life stories: people marry at 18 or later, children are
born to parents of 20 to 42, nobody has an event after their death, and addresses and
household memberships start no earlier than birth and end at death.
"""

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from eloket.register.national_ids import make_belgian_number, make_korean_number
from eloket.register.records import AddressRecord, EventRecord, PersonRecord

# The highest house number the generator draws.
MAX_NUMBER = 239


@dataclass(frozen=True)
class DemoLocale:
    """What a municipality's people and streets look like."""

    country: str
    municipality_name: str  # as written in addresses
    districts: Sequence[tuple[str, str]]  # (district, postcode)
    streets: Sequence[str]
    male_names: Sequence[str]
    female_names: Sequence[str]
    last_names: Sequence[str]
    other_places: Sequence[
        tuple[str, str]
    ]  # (municipality, postcode): birth places, former addresses
    nationalities: Sequence[tuple[str, int]]  # (code, weight)
    household_prefix: str = "H"
    # Belgian numbers are unique across the country: each demo municipality draws its
    # sequence numbers from its own block of 140, so registers never collide.
    sequence_block: int = 0
    # Where each street runs (lat, lon of its first and its last house number), so that
    # addresses carry plausible coordinates: (street, lat1, lon1, lat2, lon2).
    street_lines: Sequence[tuple[str, float, float, float, float]] = ()

    def point(self, street: str, house_number: str) -> tuple[float | None, float | None]:
        """An address's coordinates: along its street by house number (numbers 1 to
        MAX_NUMBER from one end to the other), odd and even numbers on either side."""
        line = next((line for line in self.street_lines if line[0] == street), None)
        digits = "".join(c for c in house_number if c.isdigit())
        if line is None or not digits:
            return None, None
        number = min(int(digits), MAX_NUMBER)
        t = (number - 1) / (MAX_NUMBER - 1)
        _street, lat1, lon1, lat2, lon2 = line
        side = 0.00006 if number % 2 else -0.00006  # about 7 m across the street
        return round(lat1 + t * (lat2 - lat1) + side, 6), round(lon1 + t * (lon2 - lon1), 6)


@dataclass(frozen=True)
class PersonaSpec:
    """A named demo citizen, part of a household of personas."""

    key: str
    first_names: str
    last_name: str
    sex: str
    birth_date: dt.date
    relation: str = "reference"
    nationality: str = ""
    bis: bool = False
    date_of_death: dt.date | None = None
    born_here: bool = True


@dataclass
class GeneratedRegister:
    persons: list[PersonRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    personas: dict[str, PersonRecord] = field(default_factory=dict)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Builder:
    def __init__(self, locale: DemoLocale, rng: random.Random, today: dt.date) -> None:
        self.locale, self.rng, self.today = locale, rng, today
        self.result = GeneratedRegister()
        self.used_ids: set[str] = set()
        self.act_counters: dict[tuple[str, int], int] = {}
        self.household_counter = 0

    # --- people

    def national_id(self, birth_date: dt.date, sex: str, *, bis: bool = False) -> str:
        for _attempt in range(2000):
            if self.locale.country == "BE":
                low = 1 + 140 * self.locale.sequence_block
                sequence = self.rng.randrange(low, low + 138)
                if (sequence % 2 == 1) != (sex == "M"):
                    sequence += 1
                number = make_belgian_number(birth_date, sequence, bis=bis)
            else:
                number = make_korean_number(birth_date, sex, self.rng.randrange(100000))
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise RuntimeError("ran out of national numbers for one birth date")

    def birth_date_for_age(self, low: int, high: int) -> dt.date:
        days = self.rng.randrange(low * 365 + 1, high * 365 + 300)
        return self.today - dt.timedelta(days=days)

    def nationality(self) -> str:
        codes, weights = zip(*self.locale.nationalities, strict=True)
        return self.rng.choices(codes, weights)[0]

    def person(
        self,
        sex: str,
        birth_date: dt.date,
        *,
        last_name: str | None = None,
        born_here: bool | None = None,
        first_names: str | None = None,
        nationality: str | None = None,
        bis: bool = False,
    ) -> PersonRecord:
        names = self.locale.male_names if sex == "M" else self.locale.female_names
        if first_names is None:
            first_names = self.rng.choice(names)
            if self.locale.country == "BE" and self.rng.random() < 0.4:
                second = self.rng.choice(names)
                if second != first_names:
                    first_names = f"{first_names} {second}"
        if born_here is None:
            born_here = self.rng.random() < 0.55
        record = PersonRecord(
            national_id=self.national_id(birth_date, sex, bis=bis),
            first_names=first_names,
            last_name=last_name or self.rng.choice(self.locale.last_names),
            sex=sex,
            birth_date=birth_date,
            birth_place=self.locale.municipality_name
            if born_here
            else self.rng.choice(self.locale.other_places)[0],
            nationality=nationality or self.nationality(),
        )
        self.result.persons.append(record)
        return record

    # --- events

    def act(self, kind: str, day: dt.date) -> str:
        key = (kind, day.year)
        self.act_counters[key] = self.act_counters.get(key, 0) + 1
        return f"{kind[0].upper()}{day.year}/{self.act_counters[key]:05d}"

    def event(
        self,
        kind: str,
        day: dt.date,
        participants: list[tuple[PersonRecord, str]],
        place: str | None = None,
    ) -> None:
        place = place or self.locale.municipality_name
        self.result.events.append(
            EventRecord(
                kind=kind,
                act_number=self.act(kind, day),
                date=day,
                place=place,
                registering_municipality=place,
                participants=[(p.national_id, role) for p, role in participants],
            )
        )

    def birth(
        self, child: PersonRecord, mother: PersonRecord | None, father: PersonRecord | None
    ) -> None:
        if child.birth_place != self.locale.municipality_name or child.birth_date is None:
            return  # the act is held by the municipality of birth
        people: list[tuple[PersonRecord, str]] = [(child, "subject")]
        people += [(p, role) for p, role in ((mother, "mother"), (father, "father")) if p]
        self.event("birth", child.birth_date, people)

    def marry(
        self, a: PersonRecord, b: PersonRecord, *, not_after: dt.date | None = None
    ) -> dt.date:
        assert a.birth_date and b.birth_date
        earliest = max(_add_years(a.birth_date, 18), _add_years(b.birth_date, 18))
        latest = min(
            not_after or self.today,
            self.today,
            *(d for d in (a.date_of_death, b.date_of_death) if d),
        )
        latest = max(earliest, latest)
        span = (latest - earliest).days
        day = earliest + dt.timedelta(days=self.rng.randrange(span + 1) if span > 0 else 0)
        self.event("marriage", day, [(a, "spouse"), (b, "spouse")])
        return day

    def die(self, person: PersonRecord, day: dt.date) -> None:
        person.date_of_death = day
        self.event("death", day, [(person, "subject")])

    # --- households and addresses

    def address(self) -> tuple[str, str, str, str]:
        district, postcode = self.rng.choice(self.locale.districts)
        street = self.rng.choice(self.locale.streets)
        number = str(self.rng.randrange(1, MAX_NUMBER + 1))
        box = (
            f"{self.rng.randrange(1, 5)}{self.rng.randrange(1, 9):02d}"
            if self.rng.random() < 0.25
            else ""
        )
        return street, number, box, f"{district}\t{postcode}"

    def household(self, members: list[tuple[PersonRecord, str]], move_in: dt.date) -> None:
        self.household_counter += 1
        number = f"{self.locale.household_prefix}{self.household_counter:06d}"
        street, house_number, box, where = self.address()
        district, postcode = where.split("\t")
        for person, relation in members:
            assert person.birth_date
            since = max(move_in, person.birth_date)
            if person.date_of_death and since > person.date_of_death:
                since = person.birth_date
            end = person.date_of_death
            adult_at = _add_years(person.birth_date, 18)
            if since > adult_at + dt.timedelta(days=400) and self.rng.random() < 0.5:
                # An earlier address elsewhere, ending the day before the move.
                earlier_from = adult_at + dt.timedelta(
                    days=self.rng.randrange((since - adult_at).days - 300)
                )
                elsewhere, elsewhere_postcode = self.rng.choice(self.locale.other_places)
                person.addresses.append(
                    AddressRecord(
                        street=self.rng.choice(self.locale.streets),
                        house_number=str(self.rng.randrange(1, 120)),
                        postcode=elsewhere_postcode,
                        municipality_name=elsewhere,
                        valid_from=earlier_from,
                        valid_to=since - dt.timedelta(days=1),
                    )
                )
            lat, lon = self.locale.point(street, house_number)
            person.addresses.append(
                AddressRecord(
                    street=street,
                    house_number=house_number,
                    box=box,
                    postcode=postcode,
                    municipality_name=self.locale.municipality_name,
                    district=district,
                    valid_from=since,
                    valid_to=end,
                    lat=lat,
                    lon=lon,
                )
            )
            if end is None:
                person.household, person.household_relation, person.household_since = (
                    number,
                    relation,
                    since,
                )

    # --- household stories

    def single(self) -> None:
        sex = self.rng.choice("MF")
        person = self.person(sex, self.birth_date_for_age(19, 88))
        assert person.birth_date
        self.household([(person, "reference")], self.move_in(person.birth_date))

    def move_in(self, birth_date: dt.date, not_after: dt.date | None = None) -> dt.date:
        earliest = _add_years(birth_date, 18)
        latest = min(not_after or self.today, self.today)
        if latest <= earliest:
            return earliest
        return earliest + dt.timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def couple(self, *, with_children: bool, married: bool | None = None) -> None:
        if with_children:
            mother = self.person("F", self.birth_date_for_age(27, 55))
        else:
            mother = self.person("F", self.birth_date_for_age(22, 85))
        assert mother.birth_date
        father_birth = mother.birth_date - dt.timedelta(days=self.rng.randrange(-1500, 2500))
        if father_birth > _add_years(self.today, -19):
            father_birth = _add_years(self.today, -19)
        father = self.person("M", father_birth)
        married = self.rng.random() < 0.7 if married is None else married
        children: list[PersonRecord] = []
        if with_children:
            first_possible = _add_years(mother.birth_date, 20)
            last_possible = min(
                _add_years(mother.birth_date, 42), self.today - dt.timedelta(days=30)
            )
            count = self.rng.choice([1, 2, 2, 3])
            for _i in range(count):
                if last_possible <= first_possible:
                    break
                born = first_possible + dt.timedelta(
                    days=self.rng.randrange((last_possible - first_possible).days)
                )
                child = self.person(
                    self.rng.choice("MF"),
                    born,
                    last_name=father.last_name,
                    nationality=mother.nationality,
                    born_here=self.rng.random() < 0.8,
                )
                children.append(child)
                self.birth(child, mother, father)
        first_child = min((c.birth_date for c in children if c.birth_date), default=None)
        if married:
            self.marry(mother, father, not_after=first_child)
            mother.civil_status = father.civil_status = "married"
        else:
            mother.civil_status = father.civil_status = (
                "cohabiting" if self.rng.random() < 0.5 else "single"
            )
        for parent in (mother, father):
            self.birth(parent, None, None)
        assert father.birth_date
        move_in = self.move_in(max(mother.birth_date, father.birth_date), not_after=first_child)
        members = [(mother, "reference"), (father, "spouse" if married else "partner")]
        members += [(child, "child") for child in children]
        self.household(members, move_in)

    def childless_couple(self) -> None:
        self.couple(with_children=False)

    def family(self) -> None:
        self.couple(with_children=True)

    def widowed(self) -> None:
        survivor_sex = self.rng.choice("FFM")
        survivor = self.person(survivor_sex, self.birth_date_for_age(62, 92))
        assert survivor.birth_date
        late_birth = survivor.birth_date - dt.timedelta(days=self.rng.randrange(-1000, 2000))
        late = self.person(
            "M" if survivor_sex == "F" else "F", late_birth, last_name=survivor.last_name
        )
        died = self.today - dt.timedelta(days=self.rng.randrange(60, 3650))
        married_on = self.marry(survivor, late, not_after=_add_years(died, -5))
        move_in = self.move_in(max(survivor.birth_date, late_birth), not_after=died)
        move_in = max(move_in, married_on)
        if move_in > died:
            move_in = married_on
        self.die(late, died)
        late.civil_status = "married"
        survivor.civil_status = "widowed"
        self.household([(survivor, "reference"), (late, "spouse")], move_in)
        self.birth(survivor, None, None)

    def divorced_pair(self) -> None:
        a = self.person("F", self.birth_date_for_age(30, 70))
        assert a.birth_date
        b = self.person("M", a.birth_date - dt.timedelta(days=self.rng.randrange(-800, 1800)))
        married_on = self.marry(a, b, not_after=self.today - dt.timedelta(days=800))
        divorced_on = married_on + dt.timedelta(
            days=self.rng.randrange(365, max(366, (self.today - married_on).days - 30))
        )
        self.event("divorce", divorced_on, [(a, "spouse"), (b, "spouse")])
        for person in (a, b):
            person.civil_status = "divorced"
            assert person.birth_date
            self.household(
                [(person, "reference")], max(self.move_in(person.birth_date), divorced_on)
            )

    def personas(self, specs: Sequence[PersonaSpec]) -> None:
        """One household of named personas; the first is the reference person."""
        records: list[tuple[PersonRecord, PersonaSpec]] = []
        for spec in specs:
            record = self.person(
                spec.sex,
                spec.birth_date,
                last_name=spec.last_name,
                first_names=spec.first_names,
                nationality=spec.nationality or None,
                bis=spec.bis,
                born_here=spec.born_here,
            )
            records.append((record, spec))
            self.result.personas[spec.key] = record
        spouses = [r for r, s in records if s.relation == "spouse"]
        reference = records[0][0]
        first_child = min(
            (r.birth_date for r, s in records if s.relation == "child" and r.birth_date),
            default=None,
        )
        for spouse in spouses:
            self.marry(reference, spouse, not_after=first_child)
            reference.civil_status = spouse.civil_status = "married"
        parents = [reference, *spouses]
        mother = next((p for p in parents if p.sex == "F"), None)
        father = next((p for p in parents if p.sex == "M"), None)
        for record, spec in records:
            self.birth(
                record,
                mother if spec.relation == "child" else None,
                father if spec.relation == "child" else None,
            )
        for record, spec in records:
            if spec.date_of_death:
                self.die(record, spec.date_of_death)
                if record is not reference:
                    reference.civil_status = "widowed"
        ages = [r.birth_date for r, s in records if s.relation != "child" and r.birth_date]
        move_in = self.move_in(max(ages), not_after=first_child or _add_years(self.today, -3))
        self.household([(record, spec.relation) for record, spec in records], move_in)


def generate_register(
    *,
    locale: DemoLocale,
    residents: int,
    seed: int,
    today: dt.date,
    personas: Sequence[Sequence[PersonaSpec]] = (),
) -> GeneratedRegister:
    """At least `residents` people (alive or deceased) in households, deterministically."""
    rng = random.Random(f"{seed}:{locale.municipality_name}")
    builder = _Builder(locale, rng, today)
    for household in personas:
        builder.personas(household)
    stories = [
        builder.single,
        builder.childless_couple,
        builder.family,
        builder.widowed,
        builder.divorced_pair,
    ]
    weights = [28, 20, 38, 8, 6]
    while len(builder.result.persons) < residents:
        rng.choices(stories, weights)[0]()
    return builder.result
