"""National identifiers: Belgium's national number (and BIS number) and South Korea's
resident registration number. Parsing refuses a malformed identifier with the reason.

Belgian national number, YYMMDD SSS CC:
  - YYMMDD the birth date (month or day 00 when unknown);
  - SSS a sequence, odd for men and even for women, 001-997;
  - CC = 97 - (YYMMDDSSS mod 97); for births from 2000 on, a 2 is put in front of the
    nine digits before taking mod 97. The check digits thus also tell the century.
  - BIS numbers (people not in the National Register) add 20 to the month when the
    sex is unknown at registration, 40 when it is known.
Korean resident registration number, YYMMDD G NNNNNN:
  - G tells sex and century: 9/0 1800s, 1/2 1900s, 3/4 2000s (odd men, even women),
    5/6 and 7/8 the same for foreign residents born in the 1900s and 2000s.
  - Numbers issued since October 2020 end in random digits, so the old check digit
    cannot be required; the birth date and the century/sex digit are checked.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError

SEPARATORS = re.compile(r"[\s.\-/]")

BE_NATIONAL_NUMBER = "be_nn"
BE_BIS_NUMBER = "be_bis"
KR_RESIDENT_NUMBER = "kr_rrn"


class InvalidNationalId(ApplicationError):
    code = "invalid_national_id"


@dataclass(frozen=True)
class NationalId:
    scheme: str
    digits: str
    birth_date: dt.date | None
    sex: str | None  # "M", "F" or None when the number does not tell

    def __str__(self) -> str:
        return self.digits


def normalise(raw: str) -> str:
    return SEPARATORS.sub("", str(raw or ""))


def _ascii_digits(digits: str, length: int) -> bool:
    # Not str.isdigit(): it also takes "²" (which int() refuses: a ValueError, not the
    # reason) and Arabic-Indic digits (a KeyError on the Korean century digit).
    return len(digits) == length and digits.isascii() and digits.isdigit()


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _belgian_check(nine_digits: str, born_2000_or_later: bool) -> int:
    base = int(("2" if born_2000_or_later else "") + nine_digits)
    return 97 - base % 97


def parse_belgian(raw: str, *, today: dt.date | None = None) -> NationalId:
    today = today or dt.date.today()
    digits = normalise(raw)
    if not _ascii_digits(digits, 11):
        raise InvalidNationalId(_("A Belgian national number has exactly 11 digits."))
    nine, check = digits[:9], int(digits[9:])
    if check == _belgian_check(nine, False):
        century = 1900
    elif check == _belgian_check(nine, True):
        century = 2000
    else:
        raise InvalidNationalId(
            _("The check digits do not match: this is not a valid national number.")
        )
    year, month, day, sequence = (
        int(nine[0:2]) + century,
        int(nine[2:4]),
        int(nine[4:6]),
        int(nine[6:9]),
    )
    if not 1 <= sequence <= 997:
        raise InvalidNationalId(
            _("The sequence number (digits 7 to 9) must lie between 001 and 997.")
        )
    scheme, sex_known = BE_NATIONAL_NUMBER, True
    if 20 <= month <= 32:
        scheme, sex_known, month = BE_BIS_NUMBER, False, month - 20
    elif 40 <= month <= 52:
        scheme, month = BE_BIS_NUMBER, month - 40
    if month > 12:
        raise InvalidNationalId(_("The month (digits 3 and 4) is not a valid month."))
    birth_date = None
    if month and day:
        birth_date = _safe_date(year, month, day)
        if birth_date is None:
            raise InvalidNationalId(_("The first six digits are not a valid birth date."))
        if birth_date > today:
            raise InvalidNationalId(_("The birth date in the number lies in the future."))
    elif day and not month:
        raise InvalidNationalId(_("A day without a month is not a valid birth date."))
    elif year > today.year:
        raise InvalidNationalId(_("The birth date in the number lies in the future."))
    sex = ("M" if sequence % 2 else "F") if sex_known else None
    return NationalId(scheme=scheme, digits=digits, birth_date=birth_date, sex=sex)


KR_CENTURY_SEX = {
    "9": (1800, "M"),
    "0": (1800, "F"),
    "1": (1900, "M"),
    "2": (1900, "F"),
    "3": (2000, "M"),
    "4": (2000, "F"),
    "5": (1900, "M"),
    "6": (1900, "F"),
    "7": (2000, "M"),
    "8": (2000, "F"),
}


def parse_korean(raw: str, *, today: dt.date | None = None) -> NationalId:
    today = today or dt.date.today()
    digits = normalise(raw)
    if not _ascii_digits(digits, 13):
        raise InvalidNationalId(_("A Korean resident registration number has exactly 13 digits."))
    century, sex = KR_CENTURY_SEX[digits[6]]
    birth_date = _safe_date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    if birth_date is None:
        raise InvalidNationalId(_("The first six digits are not a valid birth date."))
    if birth_date > today:
        raise InvalidNationalId(_("The birth date in the number lies in the future."))
    return NationalId(scheme=KR_RESIDENT_NUMBER, digits=digits, birth_date=birth_date, sex=sex)


PARSERS = {"BE": parse_belgian, "KR": parse_korean}


def parse_national_id(raw: str, country: str, *, today: dt.date | None = None) -> NationalId:
    parser = PARSERS.get(country.upper())
    if parser is None:
        raise InvalidNationalId(
            _("No national identifier scheme is known for country %(country)s.")
            % {"country": country}
        )
    return parser(raw, today=today)


# --- Makers, for the demo data generator and the tests.


def make_belgian_number(
    birth_date: dt.date, sequence: int, *, bis: bool = False, sex_known: bool = True
) -> str:
    month = birth_date.month + ((40 if sex_known else 20) if bis else 0)
    nine = f"{birth_date.year % 100:02d}{month:02d}{birth_date.day:02d}{sequence:03d}"
    return nine + f"{_belgian_check(nine, birth_date.year >= 2000):02d}"


def korean_check_digit(twelve: str) -> int:
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    return (11 - sum(int(d) * w for d, w in zip(twelve, weights, strict=True)) % 11) % 10


def make_korean_number(
    birth_date: dt.date, sex: str, serial: int, *, foreigner: bool = False
) -> str:
    offset = {1800: 9, 1900: 1, 2000: 3}[birth_date.year // 100 * 100]
    if foreigner:
        offset += 4
    code = offset if sex == "M" else offset + 1
    code %= 10
    twelve = f"{birth_date:%y%m%d}{code}{serial % 100000:05d}"
    return twelve + str(korean_check_digit(twelve))
