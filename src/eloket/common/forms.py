"""Form fields shared by the admin's forms."""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class BoundedJSONField(forms.JSONField):
    """JSON typed into a form, refused clearly when it is too long or nested too deeply
    (Python's parser would otherwise fail with a RecursionError: a 500)."""

    def __init__(self, *args: Any, max_chars: int = 64 * 1024, **kwargs: Any) -> None:
        self.max_chars = max_chars
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > self.max_chars:
            raise ValidationError(
                _("Keep it under %(n)d characters.") % {"n": self.max_chars}, code="too_long"
            )
        try:
            return super().to_python(value)
        except RecursionError:
            raise ValidationError(_("This is nested too deeply."), code="too_deep") from None

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
