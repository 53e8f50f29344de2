"""A service definition file: everything a municipality states about a kind of request
with a form, as one JSON (or YAML) document, checked against a published JSON Schema
(`service_file_schema`, at `/api/v1/schemas/service-definition.json` and in
`docs/services.md`) and then for sense.

A published service is a case type (ADR 0004) with the `service` handler: the file's
`code`, `names`, `department`, `processing_days`, `audience` and `workflow` are the case
type's own fields, the rest (help, fee, documents, form) its handler's options. Exporting
gives the same file back; importing publishes it as the next version.
"""

import json
from typing import Any

import jsonschema
import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from eloket.approvals.chain import chain_problems, chain_schema
from eloket.cases.definitions import definition_problems, definition_schema, texts_schema
from eloket.services.form import FIELD_TYPES, PREFILL, Form

CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
ACCEPT = ["application/pdf", "image/png", "image/jpeg"]
TEMPLATES = ["receipt", "decision", "information_sheet"]
AUDIENCES = ["residents", "anyone", "adult_residents"]
FILE_FIELDS = ("code", "names", "department", "processing_days", "audience", "workflow")
SCHEMA_ID = "https://eloket.example/schemas/service-definition.json"


def _long_texts() -> dict[str, Any]:
    """Texts per language that may run to a paragraph (help, a decision's wording)."""
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"enum": [code for code, _name in settings.LANGUAGES]},
        "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 3000},
    }


def _labels() -> dict[str, Any]:
    """Short texts per language (a label, a title, a name). Unlike the timeline's texts
    they are never filled with parameters, so a "%" is just a per cent sign."""
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"enum": [code for code, _name in settings.LANGUAGES]},
        "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 300},
    }


def _condition_schema() -> dict[str, Any]:
    value = {"type": ["string", "number", "boolean"]}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["field"],
        "properties": {
            "field": NAME,
            "equals": value,
            "in": {"type": "array", "minItems": 1, "maxItems": 50, "items": value},
        },
        "oneOf": [{"required": ["equals"]}, {"required": ["in"]}],
    }


def _field_schema() -> dict[str, Any]:
    texts = _labels()
    long = _long_texts()
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "type", "label"],
        "properties": {
            "name": NAME,
            "type": {"enum": list(FIELD_TYPES)},
            "label": texts,
            "help": long,
            "required": {"type": "boolean"},
            "condition": _condition_schema(),
            "options": {
                "type": "array",
                "minItems": 1,
                "maxItems": 100,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["value", "label"],
                    "properties": {
                        "value": {"type": "string", "minLength": 1, "maxLength": 60},
                        "label": texts,
                    },
                },
            },
            "multiple": {"type": "boolean"},
            "min": {"type": "number"},
            "max": {"type": "number"},
            "integer": {"type": "boolean"},
            "min_length": {"type": "integer", "minimum": 0, "maximum": 5000},
            "max_length": {"type": "integer", "minimum": 1, "maximum": 5000},
            "pattern": {"type": "string", "format": "regex", "maxLength": 200},
            "pattern_help": texts,
            "prefill": {"enum": list(PREFILL)},
            "accept": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"enum": ACCEPT},
            },
            "max_size_mb": {"type": "integer", "minimum": 1, "maximum": 50},
            "max_files": {"type": "integer", "minimum": 1, "maximum": 20},
            "coordinates": {"type": "boolean"},
        },
        "allOf": [
            {
                "if": {"properties": {"type": {"const": "choice"}}},
                "then": {"required": ["options"]},
                "else": {"not": {"anyOf": [{"required": ["options"]}, {"required": ["multiple"]}]}},
            }
        ],
    }


def _document_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["template"],
        "properties": {
            "template": {"enum": TEMPLATES},
            # The decision's wording per outcome, per language (the sealed document says it).
            "texts": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"approve": _long_texts(), "reject": _long_texts()},
            },
        },
    }


def options_schema() -> dict[str, Any]:
    """What the `service` handler keeps as its options: everything of the file but the
    case type's own fields."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["form"],
        "properties": {
            "help": _long_texts(),
            "fee": {
                "type": "object",
                "additionalProperties": False,
                "required": ["amount", "currency"],
                "properties": {
                    "amount": {
                        "type": "number",
                        "minimum": 0,
                        "maximum": 100000,
                        "multipleOf": 0.01,
                    },
                    "currency": {"enum": ["EUR", "KRW"]},
                },
            },
            "documents": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"receipt": _document_schema(), "decision": _document_schema()},
            },
            "form": {
                "type": "object",
                "additionalProperties": False,
                "required": ["steps"],
                "properties": {
                    "steps": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 30,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name", "title", "fields"],
                            "properties": {
                                "name": NAME,
                                "title": _labels(),
                                "help": _long_texts(),
                                "condition": _condition_schema(),
                                "fields": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 60,
                                    "items": _field_schema(),
                                },
                            },
                        },
                    }
                },
            },
            # Who approves a draft decision before it is the decision (approvals/chain.py).
            "approval_chain": chain_schema(_labels()),
            # A public inquiry before the decision (inquiries/services.py): its period.
            # The workflow needs the actions `open_inquiry` and `end_inquiry`.
            "public_inquiry": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "days": {"type": "integer", "minimum": 1, "maximum": 120},
                    # The days to complete an incomplete application (unless the clerk
                    # names a day), and the distance within which residents are told.
                    "completion_days": {"type": "integer", "minimum": 1, "maximum": 180},
                    "neighbours_within_m": {"type": "integer", "minimum": 0, "maximum": 2000},
                    # The appeal period after a decision is published.
                    "appeal_days": {"type": "integer", "minimum": 1, "maximum": 365},
                },
            },
            # What confirming the request changes in the population register, in the same
            # transaction, with the signed mutation to the national register
            # (services/moves.py): `move`, a change of main residence.
            "register_change": {"enum": ["move"]},
            # Where a request may be filed for someone else: the grounds offered.
            "on_behalf": {
                "type": "object",
                "additionalProperties": False,
                "required": ["grounds"],
                "properties": {
                    "grounds": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"enum": ["parent", "guardian", "notary", "architect", "mandate"]},
                    }
                },
            },
        },
    }


def service_file_schema() -> dict[str, Any]:
    """The JSON Schema of a service definition file."""
    options = options_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Eloket service definition",
        "type": "object",
        "additionalProperties": False,
        "required": ["code", "names", "form"],
        "properties": {
            "code": CODE,
            "names": texts_schema(),
            "department": {"type": "string", "maxLength": 100},
            "processing_days": {"type": "integer", "minimum": 1, "maximum": 3650},
            "audience": {"enum": AUDIENCES},
            "workflow": definition_schema(),
            **options["properties"],
        },
    }


def _path(parts: Any) -> str:
    return "/" + "/".join(str(p) for p in parts)


# The form's pages live at .../<step>; these addresses are the wizard's own pages.
RESERVED_STEP_NAMES = frozenset({"check", "sent"})


def form_problems(form: Any, *, at: str = "/form") -> list[tuple[str, str]]:
    """What the JSON Schema cannot say about a form, each with the path it is at."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    step_names: set[str] = set()
    earlier: dict[str, dict[str, Any]] = {}  # fields of the steps before this one
    for i, step in enumerate(form["steps"]):
        where = f"{at}/steps/{i}"
        if step["name"] in step_names:
            problems.append((f"{where}/name", _("A step name is used twice.")))
        if step["name"] in RESERVED_STEP_NAMES:
            problems.append((f"{where}/name", _("This name is reserved: choose another one.")))
        step_names.add(step["name"])
        if "condition" in step:
            problems += _condition_problems(step["condition"], earlier, f"{where}/condition")
        this_step: dict[str, dict[str, Any]] = {}
        for j, f in enumerate(step["fields"]):
            fwhere = f"{where}/fields/{j}"
            if f["name"] in seen:
                problems.append((f"{fwhere}/name", _("A field name is used twice.")))
            seen[f["name"]] = fwhere
            if "condition" in f:
                problems += _condition_problems(f["condition"], earlier, f"{fwhere}/condition")
            values = [o["value"] for o in f.get("options", [])]
            if len(set(values)) != len(values):
                problems.append((f"{fwhere}/options", _("An option value is used twice.")))
            if "min" in f and "max" in f and f["min"] > f["max"]:
                problems.append((f"{fwhere}/min", _("The least value is above the greatest.")))
            if f.get("min_length", 0) > f.get("max_length", 5000):
                problems.append(
                    (f"{fwhere}/min_length", _("The least length is above the greatest."))
                )
            misplaced = [
                key
                for key, types in (
                    ("min", ("number",)),
                    ("max", ("number",)),
                    ("integer", ("number",)),
                    ("min_length", ("text", "long_text")),
                    ("max_length", ("text", "long_text")),
                    ("pattern", ("text", "long_text", "phone")),
                    ("accept", ("file",)),
                    ("max_size_mb", ("file",)),
                    ("max_files", ("file",)),
                    ("coordinates", ("location",)),
                )
                if key in f and f["type"] not in types
            ]
            for key in misplaced:
                problems.append(
                    (
                        f"{fwhere}/{key}",
                        _("A field of type %(type)s has no “%(key)s”.")
                        % {"type": f["type"], "key": key},
                    )
                )
            this_step[f["name"]] = f
        earlier.update(this_step)
    return problems


def _condition_problems(
    condition: dict[str, Any], earlier: dict[str, dict[str, Any]], where: str
) -> list[tuple[str, str]]:
    source = earlier.get(condition["field"])
    if source is None:
        return [
            (
                f"{where}/field",
                _(
                    "A condition names a field of an earlier step (pages work without "
                    "JavaScript); “%(name)s” is not one."
                )
                % {"name": condition["field"]},
            )
        ]
    values = condition["in"] if "in" in condition else [condition["equals"]]
    if source["type"] == "choice":
        offered = {o["value"] for o in source["options"]}
        wrong = [v for v in values if v not in offered]
        if wrong:
            return [
                (
                    where,
                    _("“%(field)s” offers no answer %(values)s.")
                    % {"field": source["name"], "values": ", ".join(map(str, wrong))},
                )
            ]
    elif source["type"] in ("yes_no", "consent"):
        if any(not isinstance(v, bool) for v in values):
            return [
                (where, _("“%(field)s” is answered true or false.") % {"field": source["name"]})
            ]
    elif source["type"] in ("file", "address", "location"):
        return [(where, _("A condition cannot depend on a field of this type."))]
    return []


def service_file_problems(raw: Any) -> list[tuple[str, str]]:
    """Everything wrong with a definition file, each with the JSON path it is at (empty
    when it can be published)."""
    validator = jsonschema.Draft202012Validator(
        service_file_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        return [(_path(e.absolute_path), _schema_message(e)) for e in errors[:20]]
    problems = form_problems(raw["form"])
    if "approval_chain" in raw:
        numbers = {
            f["name"]
            for step in raw["form"]["steps"]
            for f in step["fields"]
            if f["type"] == "number"
        }
        problems += chain_problems(raw["approval_chain"], numbers)
    if "workflow" in raw:
        problems += [("/workflow", p) for p in definition_problems(raw["workflow"])]
    if "public_inquiry" in raw:
        actions = {t["action"] for t in (raw.get("workflow") or {}).get("transitions", [])}
        missing = sorted({"open_inquiry", "end_inquiry"} - actions)
        if missing:
            problems.append(
                (
                    "/public_inquiry",
                    _("A public inquiry needs the workflow's actions %(actions)s.")
                    % {"actions": ", ".join(missing)},
                )
            )
    if "register_change" in raw:
        from eloket.services.moves import register_change_problems

        problems += register_change_problems(raw)
    return problems


def _schema_message(error: jsonschema.ValidationError) -> str:
    best = jsonschema.exceptions.best_match([error, *(error.context or [])]) or error
    return best.message[:300]


def as_form(options: dict[str, Any]) -> Form:
    return Form(options["form"])


# A definition of thirty steps of sixty fields in five languages stays well under this.
FILE_LIMIT_BYTES = 1024 * 1024


def service_file_parse(
    content: bytes | str, *, name: str = ""
) -> tuple[Any, list[tuple[str, str]]]:
    """A definition file's text (JSON, or YAML when it is not JSON) as data, or the
    reason it cannot be read, at the path "/" (the file as a whole)."""
    if isinstance(content, bytes):
        if len(content) > FILE_LIMIT_BYTES:
            return None, [("/", _("The file is over 1 MB: no definition is that long."))]
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, [("/", _("The file is not UTF-8 text."))]
    if len(content) > FILE_LIMIT_BYTES:
        return None, [("/", _("The file is over 1 MB: no definition is that long."))]
    if not content.strip():
        return None, [("/", _("The file is empty."))]
    try:
        return json.loads(content), []
    except ValueError as exc:
        json_error = exc
    if name.lower().endswith(".json") or content.lstrip().startswith(("{", "[")):
        return None, [
            (
                "/",
                _("The file is not valid JSON: %(error)s") % {"error": str(json_error)[:200]},
            )
        ]
    try:
        # safe_load: a definition is data, never objects to build.
        return yaml.safe_load(content), []
    except yaml.YAMLError as exc:
        return None, [
            (
                "/",
                _("The file is neither JSON nor valid YAML: %(error)s") % {"error": str(exc)[:200]},
            )
        ]


def service_file_dump(definition: dict[str, Any], *, as_yaml: bool = False) -> str:
    """A definition as a file to save, edit and import again."""
    if as_yaml:
        return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100)
    return json.dumps(definition, ensure_ascii=False, indent=2) + "\n"
