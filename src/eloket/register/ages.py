"""Ages: a person's age on a day, and the age bands of statistics."""

import datetime as dt

from django.utils import timezone

from eloket.register.models import Person


def age_on(person: Person, day: dt.date | None = None) -> int | None:
    if person.birth_date is None:
        return None
    day = day or timezone.localdate()
    born = person.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 200))


def band_of(age: int) -> str:
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}+" if high >= 200 else f"{low}-{high}"
    return "?"
