"""Answers and fees as people read them: the "check your answers" page, the officer's
summary, the request's page and the catalogue."""

from typing import Any

from django.utils.translation import gettext as _

from eloket.cases.models import CaseType
from eloket.services.form import Field, Form


def fee_label(case_type: CaseType) -> str:
    """The service's fee as people read it ("free" when there is none)."""
    from eloket.common.money import format_fee

    fee = case_type.options.get("fee") or {"amount": 0, "currency": "EUR"}
    return format_fee(round(fee["amount"] * 100), fee["currency"])


def display_value(f: Field, value: Any, labels: dict[str, str], language: str | None = None) -> str:
    """An answer as people read it."""
    if value is None:
        return ""
    if f.type == "choice":
        if isinstance(value, list):
            return ", ".join(f.option_label(v, language) for v in value)
        return f.option_label(value, language)
    if f.type in ("yes_no", "consent"):
        return _("yes") if value else _("no")
    if f.type == "address":
        return format_address(value)
    if f.type == "location":
        text = format_address(value.get("address", {}))
        if "lat" in value and "lon" in value:
            text += f" ({value['lat']:.5f}, {value['lon']:.5f})"
        return text
    if f.type == "household_member":
        return labels.get(f.name, str(value))
    if f.type == "number" and isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_address(value: dict[str, Any]) -> str:
    box = f" {_('box')} {value['box']}" if value.get("box") else ""
    return f"{value.get('street', '')} {value.get('number', '')}{box}, {value.get('postcode', '')} {value.get('city', '')}".strip(
        ", "
    )


def answers_summary(
    *, form: Form, answers: dict[str, Any], labels: dict[str, str], language: str | None = None
) -> list[dict[str, Any]]:
    """The answers step by step, as the "check your answers" page and the officer's
    summary show them: [{"step", "title", "rows": [{"name", "label", "value"}]}]."""
    summary = []
    for step in form.shown_steps(answers):
        rows = [
            {
                "name": f.name,
                "label": f.label(language),
                "value": display_value(f, answers.get(f.name), labels, language),
                "type": f.type,
            }
            for f in step.fields
            if f.shown(answers) and not f.is_file
        ]
        summary.append({"step": step.name, "title": step.title(language), "rows": rows})
    return summary
