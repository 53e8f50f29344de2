"""Amounts as people read them on the municipality's pages."""

from django.utils.translation import gettext as _


def format_fee(cents: int, currency: str) -> str:
    if cents == 0:
        return _("free")
    if currency == "KRW":
        return f"₩{cents // 100:,}"
    return f"€ {cents // 100},{cents % 100:02d}"
