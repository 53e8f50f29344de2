"""Identifier validation on both schemes, with valid and invalid cases (issue 2)."""

import datetime as dt

import pytest

from eloket.register.national_ids import (
    InvalidNationalId,
    korean_check_digit,
    make_belgian_number,
    make_korean_number,
    parse_belgian,
    parse_korean,
    parse_national_id,
)

TODAY = dt.date(2026, 11, 22)


class TestBelgianNationalNumber:
    def test_born_before_2000(self):
        parsed = parse_belgian("85.07.30-033.28", today=TODAY)  # the well-known example
        assert parsed.digits == "85073003328"
        assert parsed.birth_date == dt.date(1985, 7, 30)
        assert parsed.sex == "M"
        assert parsed.scheme == "be_nn"

    def test_born_from_2000_uses_the_2_prefix(self):
        number = make_belgian_number(dt.date(2004, 2, 29), 124)
        parsed = parse_belgian(number, today=TODAY)
        assert parsed.birth_date == dt.date(2004, 2, 29)
        assert parsed.sex == "F"
        # The same nine digits with the pre-2000 check digits are another person (1904).
        nine = number[:9]
        old_check = 97 - int(nine) % 97
        assert parse_belgian(f"{nine}{old_check:02d}", today=TODAY).birth_date == dt.date(
            1904, 2, 29
        )

    def test_bis_numbers(self):
        known = parse_belgian(make_belgian_number(dt.date(1992, 4, 3), 43, bis=True), today=TODAY)
        assert (known.scheme, known.birth_date, known.sex) == ("be_bis", dt.date(1992, 4, 3), "M")
        unknown = parse_belgian(
            make_belgian_number(dt.date(1992, 4, 3), 43, bis=True, sex_known=False), today=TODAY
        )
        assert (unknown.scheme, unknown.birth_date, unknown.sex) == (
            "be_bis",
            dt.date(1992, 4, 3),
            None,
        )

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("8507300332", "exactly 11 digits"),
            ("850730033281", "exactly 11 digits"),
            ("85O73003328", "exactly 11 digits"),
            ("85073003329", "check digits do not match"),
            ("", "exactly 11 digits"),
        ],
    )
    def test_malformed_numbers_are_refused_with_the_reason(self, raw, reason):
        with pytest.raises(InvalidNationalId, match=reason):
            parse_belgian(raw, today=TODAY)

    def test_impossible_date(self):
        nine = "850230033"  # 30 February
        with pytest.raises(InvalidNationalId, match="not a valid birth date"):
            parse_belgian(nine + f"{97 - int(nine) % 97:02d}", today=TODAY)

    def test_sequence_out_of_range(self):
        nine = "850730998"
        with pytest.raises(InvalidNationalId, match="sequence number"):
            parse_belgian(nine + f"{97 - int(nine) % 97:02d}", today=TODAY)

    def test_birth_in_the_future(self):
        nine = "270101001"
        with pytest.raises(InvalidNationalId, match="future"):
            parse_belgian(nine + f"{97 - int('2' + nine) % 97:02d}", today=TODAY)

    def test_unknown_birth_day_is_allowed(self):
        nine = "850000033"
        parsed = parse_belgian(nine + f"{97 - int(nine) % 97:02d}", today=TODAY)
        assert parsed.birth_date is None


class TestKoreanResidentNumber:
    def test_valid_numbers(self):
        parsed = parse_korean("840417-1355733", today=TODAY)
        assert (parsed.digits, parsed.birth_date, parsed.sex) == (
            "8404171355733",
            dt.date(1984, 4, 17),
            "M",
        )
        assert parse_korean("1307074806206", today=TODAY).birth_date == dt.date(2013, 7, 7)
        foreign = make_korean_number(dt.date(2001, 5, 6), "F", 1234, foreigner=True)
        assert foreign[6] == "8"
        assert parse_korean(foreign, today=TODAY).birth_date == dt.date(2001, 5, 6)

    def test_maker_uses_the_legacy_check_digit(self):
        number = make_korean_number(dt.date(1990, 1, 2), "M", 4321)
        assert int(number[-1]) == korean_check_digit(number[:12])

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("840417135573", "exactly 13 digits"),
            ("84041713557333", "exactly 13 digits"),
            ("8413171355733", "not a valid birth date"),  # month 13
            ("8402301355733", "not a valid birth date"),  # 30 February
            ("2701013355733", "future"),  # 2027, with the 2000s digit 3
            ("abcdefghijklm", "exactly 13 digits"),
        ],
    )
    def test_malformed_numbers_are_refused_with_the_reason(self, raw, reason):
        with pytest.raises(InvalidNationalId, match=reason):
            parse_korean(raw, today=TODAY)

    def test_century_digit_decides_the_year(self):
        assert parse_korean("0101013000000", today=TODAY).birth_date == dt.date(2001, 1, 1)
        assert parse_korean("0101011000000", today=TODAY).birth_date == dt.date(1901, 1, 1)
        assert parse_korean("9901019000000", today=TODAY).birth_date == dt.date(1899, 1, 1)


def test_scheme_follows_the_country():
    assert parse_national_id("85073003328", "BE", today=TODAY).scheme == "be_nn"
    assert parse_national_id("8404171355733", "KR", today=TODAY).scheme == "kr_rrn"
    with pytest.raises(InvalidNationalId):
        parse_national_id("85073003328", "KR", today=TODAY)
    with pytest.raises(InvalidNationalId, match="No national identifier scheme"):
        parse_national_id("123", "FR", today=TODAY)
