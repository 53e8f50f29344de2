"""What forms send, read safely: the admin's JSON fields, and the ids and numbers of the
pages' forms and query strings."""

import json
from typing import Any

from django import forms
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
