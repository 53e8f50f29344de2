"""What forms send, read safely: the admin's JSON fields and the fields that replace them
(a text box per language, a colour picker), and the ids and numbers of the pages' forms and
query strings."""

import json
import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from eloket.common.errors import ApplicationError


def json_depth(value: Any) -> int:
    """How deep lists and objects nest in `value` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend(
                (child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


class BoundedJSONField(forms.JSONField):
    """JSON typed into a form, refused clearly when it is too long or nested deeper than
    `max_depth`. Python's parser fails with a RecursionError somewhere between 1,000 and
    1,500 levels, depending on the version and the stack (a 500); what it let through
    could still fail in any code that walks the value recursively (a copy, a repr, a
    schema check), so the bound is explicit and well below."""

    def __init__(
        self, *args: Any, max_chars: int = 64 * 1024, max_depth: int = 32, **kwargs: Any
    ) -> None:
        self.max_chars = max_chars
        self.max_depth = max_depth
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > self.max_chars:
            raise ValidationError(
                _("Keep it under %(n)d characters.") % {"n": self.max_chars}, code="too_long"
            )
        try:
            typed = super().to_python(value)
        except RecursionError:
            raise ValidationError(_("This is nested too deeply."), code="too_deep") from None
        if json_depth(typed) > self.max_depth:
            raise ValidationError(_("This is nested too deeply."), code="too_deep")
        return typed

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return data

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Django's JSONField takes an initial {} for "empty" and calls "{}" typed back a
        # change; compare the documents themselves.
        try:
            typed = self.to_python(data)
        except ValidationError:
            return True
        if typed in ({}, [], None) and initial in ({}, [], None, ""):
            return False
        return json.dumps(initial, sort_keys=True) != json.dumps(typed, sort_keys=True)


LANGUAGE_NAMES = dict(settings.LANGUAGES)
PLATFORM_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


class PerLanguageWidget(forms.MultiWidget):
    """One text box per language, each labelled with the language's own name and marked
    with `lang` (a screen reader reads "Bruges" in French). The admin puts the boxes in a
    fieldset whose legend is the field's label (MultiWidget.use_fieldset)."""

    template_name = "eloket/widgets/per_language.html"

    def __init__(
        self, languages: Sequence[str], *, max_length: int, attrs: dict[str, Any] | None = None
    ) -> None:
        self.languages = list(languages)
        super().__init__(
            {
                code: forms.TextInput(attrs={"lang": code, "maxlength": str(max_length)})
                for code in self.languages
            },
            attrs,
        )

    def decompress(self, value: Any) -> list[str]:
        if isinstance(value, str):  # a stored value typed as JSON text
            try:
                value = json.loads(value)
            except ValueError:
                value = {}
        if not isinstance(value, dict):
            value = {}
        return [str(value.get(code) or "") for code in self.languages]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        base = (attrs or {}).get("id") or self.attrs.get("id")
        for code, sub in zip(self.languages, context["widget"]["subwidgets"], strict=True):
            sub["language_label"] = f"{LANGUAGE_NAMES.get(code, code)} ({code})"
            if base:  # id_names_fr rather than id_names_1: the label says which box it is
                sub["attrs"]["id"] = f"{base}_{code}"
        return context


class PerLanguageField(forms.MultiValueField):
    """A text per language (a name, a title), typed into one box per language and kept
    as {"nl": "...", "en": "..."}: what the admin took as raw JSON before (issue 11, 8).
    Empty boxes are left out; `required` asks for at least one."""

    def __init__(
        self,
        *,
        languages: Sequence[str] = PLATFORM_LANGUAGES,
        max_length: int = 200,
        **kwargs: Any,
    ) -> None:
        self.languages = list(languages)
        kwargs.setdefault("error_messages", {"required": _("Give it in at least one language.")})
        # The JSON model field's own keyword arguments do not apply to boxes of text.
        for key in ("encoder", "decoder", "max_length"):
            kwargs.pop(key, None)
        super().__init__(
            fields=[forms.CharField(max_length=max_length, required=False) for _ in self.languages],
            widget=PerLanguageWidget(self.languages, max_length=max_length),
            require_all_fields=False,
            **kwargs,
        )

    def compress(self, data_list: list[Any]) -> dict[str, str]:
        values = data_list or []
        return {
            code: str(text).strip()
            for code, text in zip(self.languages, values, strict=False)
            if text and str(text).strip()
        }

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        before = {
            code: text
            for code, text in zip(self.languages, self.widget.decompress(initial), strict=True)
            if text
        }
        after = self.compress(list(data) if isinstance(data, list | tuple) else [])
        return before != after


class ColourInput(forms.TextInput):
    """The browser's own colour picker: it needs no JavaScript and always sends #rrggbb;
    a browser without one shows a text box, whose "#1D4F91" or "1d4f91" is taken too."""

    input_type = "color"


COLOUR_TYPED = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


class ColourField(forms.CharField):
    """A colour as #rrggbb (lowercase), from the picker or typed by hand."""

    widget = ColourInput

    def __init__(self, **kwargs: Any) -> None:
        # No length limit on what is typed: " #1D4F91 " is a colour; to_python says which.
        for key in ("max_length", "empty_value"):
            kwargs.pop(key, None)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value) or "").strip()
        if not text:
            return ""
        match = COLOUR_TYPED.fullmatch(text)
        if not match:
            raise ValidationError(_("Use a colour like #1d4f91."), code="not_a_colour")
        digits = match.group(1).lower()
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return f"#{digits}"


# The largest key an integer column holds on every database the platform runs on
# (PostgreSQL's `integer`): a larger number sent as an id names nothing. The same bound
# holds for keys in URLs (`<id:...>`, common/ids.py) and in the API (api/schemas.Id). The
# tables' keys are BigAutoField, and none comes near 2**31 rows; raise it here, for all
# three, if one ever does.
ID_MAX = 2**31 - 1
PAGE_MAX = 10_000


def id_of(value: object) -> int:
    """The id a form or query string sent, as a number a look-up can take: 0, which names
    nothing, for anything but 1 to ID_MAX in ASCII digits (text, a huge number, nothing),
    so that a bad value finds nothing instead of failing in the database."""
    text = str(value or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= len(str(ID_MAX)):
        number = int(text)
        if number <= ID_MAX:
            return number
    return 0


def page_of(value: object) -> int:
    """A page number from a query string: 1 for anything but 1 to PAGE_MAX."""
    number = id_of(value)
    return number if 1 <= number <= PAGE_MAX else 1


def whole_number(value: object, *, default: int) -> int:
    """A whole number typed into a form (the default when left empty); a clear error in
    the user's language for anything else. Ranges are the service's to check."""
    text = str(value or "").strip()
    if not text:
        return default
    if text.isascii() and text.lstrip("-").isdigit() and len(text) <= 12:
        return int(text)
    raise ApplicationError(_("Give a whole number."), code="not_a_number")
