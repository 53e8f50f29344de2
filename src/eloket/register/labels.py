"""How register data reads to a person: formatted identifiers, country names."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COUNTRY_NAMES: dict[str, Promise] = {
    "BE": _("Belgium"),
    "NL": _("the Netherlands"),
    "FR": _("France"),
    "DE": _("Germany"),
    "LU": _("Luxembourg"),
    "IT": _("Italy"),
    "ES": _("Spain"),
    "PT": _("Portugal"),
    "PL": _("Poland"),
    "RO": _("Romania"),
    "BG": _("Bulgaria"),
    "MA": _("Morocco"),
    "TR": _("Turkey"),
    "CD": _("Congo (DRC)"),
    "UA": _("Ukraine"),
    "KR": _("South Korea"),
    "CN": _("China"),
    "VN": _("Vietnam"),
    "JP": _("Japan"),
    "US": _("United States"),
    "GB": _("United Kingdom"),
}


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code.upper(), code.upper()))


def format_national_id(digits: str, country: str) -> str:
    """85073002536 -> 85.07.30-025.36 (Belgium); 8404171355733 -> 840417-1355733 (Korea)."""
    if country == "BE" and len(digits) == 11:
        return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:11]}"
    if country == "KR" and len(digits) == 13:
        return f"{digits[:6]}-{digits[6:]}"
    return digits
