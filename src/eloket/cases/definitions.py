"""The definition of a case type: its statuses and the transitions between them, as a
JSON document checked against a JSON Schema (the `jsonschema` library) and then for
sense (every transition joins known statuses, one status to start in, nothing leaves a
final status, every status can be reached).

    {"statuses": [
        {"code": "submitted", "names": {"en": "submitted", "nl": "ingediend"},
         "initial": true},
        {"code": "in_review", "names": {...}, "waiting_for": "municipality"},
        {"code": "needs_information", "names": {...}, "waiting_for": "requester"},
        {"code": "approved", "names": {...}, "final": true}],
     "transitions": [
        {"action": "take_up", "from": ["submitted"], "to": "in_review",
         "by": ["clerk", "system"], "texts": {"en": "An officer checks your request."}},
        {"action": "cancel", "from": ["submitted", "in_review"], "to": "cancelled",
         "by": ["requester"]},
        {"action": "approve", "from": ["in_review"], "to": "approved", "by": ["head"],
         "department": "permits", "reason_required": false}]}

`by` names who may make a transition: "requester" (the citizen who asked), "system" (the
platform's own processes, e.g. an automatic decision), or an officer's least role
("clerk", "head", "admin"). Officers must also belong to the transition's department (or
the case type's), unless they are a head of department or an administrator.
"""

from dataclasses import dataclass, field
from typing import Any

import jsonschema
from django.conf import settings
from django.utils.translation import gettext as _

from eloket.cases.texts import MSGID, TEXT_PATTERN, localized

WHO = ["requester", "system", "clerk", "head", "admin"]
CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}


def texts_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"enum": [code for code, _name in settings.LANGUAGES] + [MSGID]},
        "additionalProperties": {
            "type": "string",
            "minLength": 1,
            "maxLength": 300,
            # Placeholders only as %(name)s: no width or precision (cases/texts.py).
            "pattern": TEXT_PATTERN,
        },
    }


def definition_schema() -> dict[str, Any]:
    texts = texts_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["statuses", "transitions"],
        "additionalProperties": False,
        "properties": {
            "statuses": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "required": ["code", "names"],
                    "additionalProperties": False,
                    "properties": {
                        "code": CODE,
                        "names": texts,
                        "texts": texts,
                        "initial": {"type": "boolean"},
                        "final": {"type": "boolean"},
                        "waiting_for": {"enum": ["municipality", "requester"]},
                        "notify": {"type": "boolean"},
                    },
                },
            },
            "transitions": {
                "type": "array",
                "maxItems": 200,
                "items": {
                    "type": "object",
                    "required": ["action", "from", "to", "by"],
                    "additionalProperties": False,
                    "properties": {
                        "action": CODE,
                        "from": {"type": "array", "minItems": 1, "items": CODE},
                        "to": CODE,
                        "by": {"type": "array", "minItems": 1, "items": {"enum": WHO}},
                        "names": texts,
                        "texts": texts,
                        "department": {"type": "string", "maxLength": 100},
                        "reason_required": {"type": "boolean"},
                    },
                },
            },
        },
    }


@dataclass(frozen=True)
class StatusSpec:
    code: str
    names: dict[str, str]
    texts: dict[str, str] = field(default_factory=dict)
    initial: bool = False
    final: bool = False
    # Whose move it is: a request waiting for its requester is never overdue.
    waiting_for: str = "municipality"
    # Whether entering it e-mails the requester; None: when it is an outcome for them.
    notify: bool | None = None


@dataclass(frozen=True)
class TransitionSpec:
    action: str
    sources: tuple[str, ...]
    to: str
    by: tuple[str, ...]
    names: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    department: str = ""
    reason_required: bool = False

    def name(self, language: str | None = None) -> str:
        return localized(self.names, language) or self.action.replace("_", " ")


class Definition:
    """A parsed definition with the look-ups the engine needs. Built from a definition
    that passed `definition_problems`."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.statuses: dict[str, StatusSpec] = {
            s["code"]: StatusSpec(
                code=s["code"],
                names=s["names"],
                texts=s.get("texts", {}),
                initial=s.get("initial", False),
                final=s.get("final", False),
                waiting_for=s.get("waiting_for", "municipality"),
                notify=s.get("notify"),
            )
            for s in raw.get("statuses", [])
        }
        self.transitions: list[TransitionSpec] = [
            TransitionSpec(
                action=t["action"],
                sources=tuple(t["from"]),
                to=t["to"],
                by=tuple(t["by"]),
                names=t.get("names", {}),
                texts=t.get("texts", {}),
                department=t.get("department", ""),
                reason_required=t.get("reason_required", False),
            )
            for t in raw.get("transitions", [])
        ]

    @property
    def initial(self) -> StatusSpec:
        return next(s for s in self.statuses.values() if s.initial)

    def status_name(self, code: str, language: str | None = None) -> str:
        status = self.statuses.get(code)
        return localized(status.names, language) if status else code

    def is_final(self, code: str) -> bool:
        status = self.statuses.get(code)
        return bool(status and status.final)

    def open_statuses(self) -> list[str]:
        return [code for code, s in self.statuses.items() if not s.final]

    def waits_for_municipality(self, code: str) -> bool:
        status = self.statuses.get(code)
        return bool(status and not status.final and status.waiting_for == "municipality")

    def tells_requester(self, code: str) -> bool:
        """Whether entering `code` is news the requester is e-mailed: an outcome (a final
        status) or a question (it waits for them), unless the status says otherwise. The
        steps in between are on the request's page, not in the mailbox."""
        status = self.statuses.get(code)
        if status is None:
            return False
        if status.notify is not None:
            return status.notify
        return status.final or status.waiting_for == "requester"

    def transition(self, action: str, from_status: str) -> TransitionSpec | None:
        return next(
            (t for t in self.transitions if t.action == action and from_status in t.sources),
            None,
        )

    def has_action(self, action: str) -> bool:
        return any(t.action == action for t in self.transitions)

    def transitions_from(self, status: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if status in t.sources]


def _problem(error: jsonschema.ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "pattern" and schema.get("pattern") == TEXT_PATTERN:
        return _("a text may hold placeholders only as %(name)s, with no width or precision")
    return error.message[:200]


def definition_problems(raw: Any) -> list[str]:
    """Everything wrong with a definition, in words (empty when it is sound)."""
    validator = jsonschema.Draft202012Validator(definition_schema())
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '-'}: {_problem(error)}"
        for error in sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        return problems[:10]
    codes = [s["code"] for s in raw["statuses"]]
    if len(set(codes)) != len(codes):
        problems.append(_("A status code is used twice."))
    initial = [s["code"] for s in raw["statuses"] if s.get("initial")]
    if len(initial) != 1:
        problems.append(_("Mark exactly one status as the one a request starts in."))
    final = {s["code"] for s in raw["statuses"] if s.get("final")}
    seen_pairs: set[tuple[str, str]] = set()
    reachable = set(initial)
    for t in raw["transitions"]:
        for code in [*t["from"], t["to"]]:
            if code not in codes:
                problems.append(
                    _("The transition “%(action)s” names an unknown status “%(code)s”.")
                    % {"action": t["action"], "code": code}
                )
        for source in t["from"]:
            if source in final:
                problems.append(
                    _("Nothing leaves a final status (“%(action)s” leaves “%(code)s”).")
                    % {"action": t["action"], "code": source}
                )
            if (t["action"], source) in seen_pairs:
                problems.append(
                    _("The action “%(action)s” leaves “%(code)s” twice.")
                    % {"action": t["action"], "code": source}
                )
            seen_pairs.add((t["action"], source))
    changed = True
    while changed:
        changed = False
        for t in raw["transitions"]:
            if t["to"] not in reachable and reachable.intersection(t["from"]):
                reachable.add(t["to"])
                changed = True
    unreachable = [code for code in codes if code not in reachable]
    if unreachable and not problems:
        problems.append(_("No transition reaches: %(codes)s.") % {"codes": ", ".join(unreachable)})
    return problems


def definition_errors(case_type: Any) -> dict[str, list[str]]:
    """Field errors of a case type (for `clean()` and the admin)."""
    from eloket.cases.handlers import case_handlers
    from eloket.common.registry import InvalidOptions

    errors: dict[str, list[str]] = {}
    problems = definition_problems(case_type.definition)
    if problems:
        errors["definition"] = problems
    names = case_type.names
    schema = texts_schema()
    if jsonschema.Draft202012Validator(schema).is_valid(names) is False:
        errors["names"] = [_("Give the name in one or more of the platform's languages.")]
    handler = case_handlers.get(case_type.handler)
    if handler is None:
        errors["handler"] = [_("Choose one of: %(ids)s.") % {"ids": ", ".join(case_handlers.ids())}]
    else:
        try:
            case_handlers.validate_options(case_type.handler, case_type.options or {})
        except InvalidOptions as exc:
            errors["options"] = [str(exc)]
        if not problems:
            missing = handler.missing_actions(Definition(case_type.definition))
            if missing:
                errors["definition"] = [
                    _("The handler %(handler)s needs the actions: %(actions)s.")
                    % {"handler": case_type.handler, "actions": ", ".join(missing)}
                ]
    return errors
