"""A service's form as data: ordered steps of fields, each of a known type, with bounds,
patterns and simple conditions, and from it the JSON Schema of the answers.

The answers' JSON Schema (`answers_schema`) is not documentation beside the checks: it IS
the check. `answers_problems` validates answers with it (the `jsonschema` library) and
turns each error into a sentence in the reader's language next to the field it is about.
So whatever the API publishes under `answers_schema` is exactly what the server enforces,
with two kinds of check no static schema can hold, both marked in it: a household member
(`"x-eloket-source": "household"`, one of the applicant's household) and a file question
(`"x-eloket-file": true`, sent as an attachment, never as an answer).

Answers, by field type:

| type | answer |
| --- | --- |
| text, long_text, email, phone | a string |
| number | a number (an integer when `integer`) |
| date | "YYYY-MM-DD" |
| choice | one option's value; with `multiple`, a list of them |
| yes_no, consent | true or false (a required consent must be true) |
| address | {"street", "number", "box"?, "postcode", "city"} |
| location | {"address": an address, "lat"?, "lon"?} |
| household_member | the member's reference, as the form offers it |
| file | — (attachments) |

A condition (`{"field": "alcohol", "equals": true}` or `{"field": "kind", "in": ["a",
"b"]}`) on a field or a step names a field of an EARLIER step: pages work without
JavaScript, so what a step shows is known when it is drawn. An answer to a field whose
condition does not hold is refused, like an answer to a question the form does not ask.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jsonschema
import regex
from django.utils.translation import gettext as _

from eloket.cases.texts import localized
from eloket.common.text import FREE_TEXT_PATTERN

FIELD_TYPES = (
    "text",
    "long_text",
    "number",
    "date",
    "choice",
    "yes_no",
    "email",
    "phone",
    "address",
    "household_member",
    "location",
    "file",
    "consent",
)
# What the register and the eID can fill in for the applicant.
PREFILL = ("name", "first_name", "last_name", "date_of_birth", "address", "email")

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ().\-/]{5,24}$"
DATE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
NOT_BLANK = r"\S"
MEMBER_PATTERN = r"^[0-9]{1,12}$"
NUMBER_LIMIT = 1_000_000_000_000
TEXT_LIMIT = {"text": 200, "long_text": 5000, "email": 254, "phone": 30}
# The autocomplete tokens of WCAG 1.3.5 for what a field asks.
AUTOCOMPLETE = {"email": "email", "phone": "tel"}
PREFILL_AUTOCOMPLETE = {
    "name": "name",
    "first_name": "given-name",
    "last_name": "family-name",
    "date_of_birth": "bday",
}


def _address_schema(required: bool) -> dict[str, Any]:
    line = {"type": "string", "maxLength": 100, "pattern": FREE_TEXT_PATTERN}
    filled = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": NOT_BLANK}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["street", "number", "postcode", "city"],
        "properties": {
            "street": {"allOf": [filled, line]},
            "number": {"allOf": [{**filled, "maxLength": 20}, line]},
            "box": {**line, "maxLength": 20},
            "postcode": {"type": "string", "pattern": r"^[0-9A-Za-z][0-9A-Za-z -]{1,9}$"},
            "city": {"allOf": [filled, line]},
        },
    }


# A field's pattern is written by a municipality's administrator and run on what citizens
# type, on a server every municipality shares: Python's `re` backtracks without end on a
# pattern like `(x+x+)+y` (seconds for 26 characters). The `regex` module reads the same
# syntax and stops after a time; an answer whose check runs out of time is refused.
PATTERN_SECONDS = 0.05


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    if not validator.is_type(instance, "string"):
        return
    try:
        found = regex.search(pattern, instance, timeout=PATTERN_SECONDS)
    except TimeoutError:
        found = None
    if found is None:
        yield jsonschema.ValidationError(f"{instance[:80]!r} does not match {pattern!r}")


AnswersValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _pattern}
)


@dataclass(frozen=True)
class Condition:
    field: str
    values: tuple[Any, ...]

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> "Condition | None":
        if not raw:
            return None
        values = tuple(raw["in"]) if "in" in raw else (raw["equals"],)
        return cls(field=raw["field"], values=values)

    def holds(self, answers: dict[str, Any]) -> bool:
        value = answers.get(self.field)
        if isinstance(value, list):
            return any(v in self.values for v in value)
        return value is not None and value in self.values


@dataclass(frozen=True)
class Option:
    value: str
    labels: dict[str, str]

    def label(self, language: str | None = None) -> str:
        return localized(self.labels, language) or self.value


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    labels: dict[str, str]
    helps: dict[str, str] = field(default_factory=dict)
    required: bool = False
    condition: Condition | None = None
    step_condition: Condition | None = None
    options: tuple[Option, ...] = ()
    multiple: bool = False
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    pattern_helps: dict[str, str] = field(default_factory=dict)
    prefill: str = ""
    accept: tuple[str, ...] = ()
    max_size_mb: int = 10
    max_files: int = 1
    coordinates: bool = False

    def label(self, language: str | None = None) -> str:
        return localized(self.labels, language) or self.name

    def help(self, language: str | None = None) -> str:
        return localized(self.helps, language)

    def option_label(self, value: Any, language: str | None = None) -> str:
        for option in self.options:
            if option.value == value:
                return option.label(language)
        return str(value)

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(c for c in (self.step_condition, self.condition) if c is not None)

    def shown(self, answers: dict[str, Any]) -> bool:
        return all(c.holds(answers) for c in self.conditions)

    @property
    def is_file(self) -> bool:
        return self.type == "file"

    @property
    def autocomplete(self) -> str:
        return PREFILL_AUTOCOMPLETE.get(self.prefill) or AUTOCOMPLETE.get(self.type, "")

    def value_schema(self) -> dict[str, Any]:
        """The JSON Schema of this field's answer."""
        t = self.type
        if t in ("text", "long_text", "email", "phone"):
            limit = self.max_length or TEXT_LIMIT[t]
            parts: list[dict[str, Any]] = [
                {"type": "string", "maxLength": limit, "pattern": FREE_TEXT_PATTERN}
            ]
            if self.required:
                parts.append({"minLength": max(1, self.min_length or 1), "pattern": NOT_BLANK})
            elif self.min_length:
                parts.append({"minLength": self.min_length})
            if t == "email":
                parts.append({"pattern": EMAIL_PATTERN})
            elif t == "phone":
                parts.append({"pattern": PHONE_PATTERN})
            if self.pattern:
                parts.append({"pattern": self.pattern})
            return parts[0] if len(parts) == 1 else {"type": "string", "allOf": parts}
        if t == "number":
            # Bounds always: a number without them would take Infinity (which Python's
            # JSON reader accepts and no database stores).
            return {
                "type": "integer" if self.integer else "number",
                "minimum": self.minimum if self.minimum is not None else -NUMBER_LIMIT,
                "maximum": self.maximum if self.maximum is not None else NUMBER_LIMIT,
            }
        if t == "date":
            return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        if t == "choice":
            one = {"enum": [o.value for o in self.options]}
            if self.multiple:
                return {
                    "type": "array",
                    "items": one,
                    "uniqueItems": True,
                    "minItems": 1 if self.required else 0,
                }
            return {"type": "string", **one}
        if t == "yes_no":
            return {"type": "boolean"}
        if t == "consent":
            return {"const": True} if self.required else {"type": "boolean"}
        if t == "address":
            return _address_schema(self.required)
        if t == "location":
            properties: dict[str, Any] = {"address": _address_schema(True)}
            if self.coordinates:
                properties["lat"] = {"type": "number", "minimum": -90, "maximum": 90}
                properties["lon"] = {"type": "number", "minimum": -180, "maximum": 180}
            return {
                "type": "object",
                "additionalProperties": False,
                "required": ["address"],
                "properties": properties,
            }
        if t == "household_member":
            return {"type": "string", "pattern": MEMBER_PATTERN, "x-eloket-source": "household"}
        if t == "file":
            return {
                "x-eloket-file": True,
                "x-eloket-accept": list(self.accept),
                "x-eloket-max-bytes": self.max_size_mb * 1024 * 1024,
                "x-eloket-max-files": self.max_files,
            }
        raise ValueError(t)  # pragma: no cover (the definition schema allows no other)


@dataclass(frozen=True)
class Step:
    name: str
    titles: dict[str, str]
    helps: dict[str, str]
    condition: Condition | None
    fields: tuple[Field, ...]

    def title(self, language: str | None = None) -> str:
        return localized(self.titles, language) or self.name

    def help(self, language: str | None = None) -> str:
        return localized(self.helps, language)

    def shown(self, answers: dict[str, Any]) -> bool:
        return self.condition is None or self.condition.holds(answers)


def _condition_schema(condition: Condition, fields: dict[str, Field]) -> dict[str, Any]:
    """A JSON Schema that holds exactly when the condition does."""
    source = fields[condition.field]
    if source.type == "choice" and source.multiple:
        value: dict[str, Any] = {"contains": {"enum": list(condition.values)}}
    else:
        value = {"enum": list(condition.values)}
    holds: dict[str, Any] = {"required": [source.name], "properties": {source.name: value}}
    # A condition on a field that is itself conditional holds only when that one is shown.
    parents = [_condition_schema(c, fields) for c in source.conditions]
    return {"allOf": [*parents, holds]} if parents else holds


class Form:
    """A parsed form, built from a definition that passed `service_definition_problems`."""

    def __init__(self, raw: dict[str, Any]) -> None:
        steps = []
        for s in raw.get("steps", []):
            step_condition = Condition.parse(s.get("condition"))
            fields = tuple(
                Field(
                    name=f["name"],
                    type=f["type"],
                    labels=f["label"],
                    helps=f.get("help", {}),
                    required=f.get("required", False),
                    condition=Condition.parse(f.get("condition")),
                    step_condition=step_condition,
                    options=tuple(
                        Option(value=o["value"], labels=o["label"]) for o in f.get("options", [])
                    ),
                    multiple=f.get("multiple", False),
                    minimum=f.get("min"),
                    maximum=f.get("max"),
                    integer=f.get("integer", False),
                    min_length=f.get("min_length"),
                    max_length=f.get("max_length"),
                    pattern=f.get("pattern", ""),
                    pattern_helps=f.get("pattern_help", {}),
                    prefill=f.get("prefill", ""),
                    accept=tuple(f.get("accept", ["application/pdf"])),
                    max_size_mb=f.get("max_size_mb", 10),
                    max_files=f.get("max_files", 1),
                    coordinates=f.get("coordinates", False),
                )
                for f in s["fields"]
            )
            steps.append(
                Step(
                    name=s["name"],
                    titles=s.get("title", {}),
                    helps=s.get("help", {}),
                    condition=step_condition,
                    fields=fields,
                )
            )
        self.steps: tuple[Step, ...] = tuple(steps)
        self.fields: dict[str, Field] = {f.name: f for s in self.steps for f in s.fields}

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator:
        return AnswersValidator(
            self.answers_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def shown_steps(self, answers: dict[str, Any]) -> list[Step]:
        return [s for s in self.steps if s.shown(answers)]

    def file_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.is_file]

    def answers_schema(self) -> dict[str, Any]:
        properties = {name: f.value_schema() for name, f in self.fields.items()}
        required = [
            f.name
            for f in self.fields.values()
            if f.required and not f.conditions and not f.is_file
        ]
        rules = []
        for f in self.fields.values():
            if not f.conditions or f.is_file:
                continue
            holds = [_condition_schema(c, self.fields) for c in f.conditions]
            rules.append(
                {
                    "if": holds[0] if len(holds) == 1 else {"allOf": holds},
                    "then": {"required": [f.name]} if f.required else True,
                    # An answer to a question the form does not ask here is refused.
                    "else": {"not": {"required": [f.name]}},
                }
            )
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            "required": required,
        }
        if rules:
            schema["allOf"] = rules
        # File questions are sent as attachments: never as an answer.
        for f in self.file_fields():
            schema["properties"][f.name] = {**properties[f.name], "not": {}}
        return schema

    def answers_problems(
        self,
        answers: Any,
        *,
        only: set[str] | None = None,
        complete: bool = True,
        household: set[str] | None = None,
    ) -> dict[str, str]:
        """What is wrong with `answers`, per field name ("" for the answers as a whole), in
        the reader's language. `only`: the fields of the step being filled in; `complete`:
        whether a missing required answer counts (not while a step is half done)."""
        validator = self.validator
        problems: dict[str, str] = {}
        if not isinstance(answers, dict):
            return {"": _("The answers are a JSON object, one member per question.")}
        for error in validator.iter_errors(answers):
            for name, sentence in self._explain(error, answers):
                if only is not None and name not in only and name != "":
                    continue
                if not complete and error.validator == "required":
                    continue
                problems.setdefault(name, sentence)
        if household is not None:
            for f in self.fields.values():
                value = answers.get(f.name)
                asked = only is None or f.name in only
                if (
                    f.type == "household_member"
                    and value is not None
                    and value not in household
                    and asked
                ):
                    problems.setdefault(
                        f.name, _("Choose a member of your household from the list.")
                    )
        return problems

    def _explain(
        self, error: jsonschema.ValidationError, answers: dict[str, Any]
    ) -> list[tuple[str, str]]:
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and not path:
            extra = [k for k in answers if k not in self.fields]
            return [
                (
                    "",
                    _("This form asks no question “%(name)s”.") % {"name": str(name)[:40]},
                )
                for name in extra
            ]
        if error.validator == "required" and not path and isinstance(error.validator_value, list):
            missing = [n for n in error.validator_value if n not in answers]
            return [(n, self._missing(self.fields[n])) for n in missing if n in self.fields]
        if error.validator == "not" and not path and isinstance(error.validator_value, dict):
            hidden = error.validator_value.get("required", [])
            return [
                (n, _("This question is not asked with your other answers: leave it out."))
                for n in hidden
            ]
        if error.validator in ("allOf", "if") and not path:
            # The sub-errors carry the reasons.
            return [pair for sub in error.context or [] for pair in self._explain(sub, answers)]
        if not path:
            return [("", error.message[:200])]
        name = str(path[0])
        f = self.fields.get(name)
        if f is None:
            return [("", _("This form asks no question “%(name)s”.") % {"name": name[:40]})]
        return [(name, self._wrong(f, error, answers.get(name)))]

    def _missing(self, f: Field) -> str:
        if f.type in ("choice", "yes_no", "household_member"):
            return _("Choose an answer to “%(label)s”.") % {"label": f.label()}
        if f.type == "consent":
            return _("You must agree to go on.")
        return _("Fill in “%(label)s”.") % {"label": f.label()}

    def _wrong(self, f: Field, error: jsonschema.ValidationError, value: Any) -> str:
        """The sentence for a wrong answer to `f`, from what the schema refused."""
        kind = error.validator
        if kind == "not" and f.is_file:
            return _("Send files as attachments, not as an answer.")
        if f.type == "number":
            if kind == "type":
                return _("Enter a whole number.") if f.integer else _("Enter a number, like 12.")
            if kind == "minimum":
                return _("Enter %(min)s or more.") % {"min": _number(_bound(error))}
            if kind == "maximum":
                return _("Enter %(max)s or less.") % {"max": _number(_bound(error))}
        if f.type == "date":
            return _("Enter a real date, like 2027-03-31.")
        typed = value is not None and bool(str(value).strip())
        if f.type == "email" and kind in ("minLength", "pattern") and typed:
            return _("Enter an e-mail address, like name@example.org.")
        if f.type == "phone" and kind == "pattern" and typed:
            return _("Enter a phone number, like +32 9 210 10 10.")
        if f.type == "choice":
            if kind == "minItems":
                return self._missing(f)
            return _("Choose one of the answers offered.")
        if f.type in ("yes_no",):
            return _("Answer yes or no.")
        if f.type == "consent":
            return _("You must agree to go on.")
        if f.type in ("address", "location"):
            return _("Fill in the street, number, postcode and city.")
        if f.type == "household_member":
            return _("Choose a member of your household from the list.")
        # Texts.
        if kind == "pattern" and error.validator_value == FREE_TEXT_PATTERN:
            return _("Remove the invisible control characters from this text.")
        if kind in ("minLength", "pattern") and error.validator_value in (1, NOT_BLANK):
            return self._missing(f)
        if kind == "minLength":
            return _("Write at least %(n)d characters.") % {"n": f.min_length or 1}
        if kind == "maxLength":
            limit = f.max_length or TEXT_LIMIT.get(f.type, 200)
            return _("Write at most %(n)d characters.") % {"n": limit}
        if kind == "pattern" and f.pattern:
            return localized(f.pattern_helps) or _("This answer does not have the form asked for.")
        if kind == "type":
            return _("Fill in “%(label)s” as text.") % {"label": f.label()}
        return _("This answer does not have the form asked for.")

    def clean_value(self, f: Field, raw: Any) -> Any:
        """An answer as a page sent it (strings) made into the answer's JSON type; a value
        that cannot be converted stays as it is, for the schema to refuse with the reason."""
        if f.type in ("text", "long_text", "email", "phone", "household_member"):
            text = str(raw or "").strip()
            if f.type == "long_text":
                text = text.replace("\r\n", "\n")
            return text or None
        if f.type == "number":
            text = str(raw or "").strip().replace(" ", "").replace("\u202f", "")
            if not text:
                return None
            text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
            try:
                number = float(text)
            except ValueError:
                return text
            if number.is_integer() and re.fullmatch(r"-?[0-9]+(\.0*)?", text):
                return int(number)
            return number
        if f.type == "date":
            text = str(raw or "").strip()
            return text or None
        if f.type in ("yes_no", "consent"):
            if raw in ("yes", "true", "on", True):
                return True
            if raw in ("no", "false", False):
                return False
            return None
        return raw


def _bound(error: jsonschema.ValidationError) -> float | None:
    """The bound a `minimum` or `maximum` refusal names (a number in the form's schema)."""
    value = error.validator_value
    return value if isinstance(value, int | float) else None


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
