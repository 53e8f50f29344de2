"""An approval chain as data: part of a service's versioned definition (the
`approval_chain` of its file), checked by a JSON Schema and then for sense.

A chain is ordered steps. A step names its approvers (by role and department, or one
officer by username) and how many of them must approve: `all`, `any` or a number k (k of
n). A step may hold a condition (`{"field": "visitors", "above": 1000}`, the field a
number of the form, or `fee`): the step is in the chain of a request only when the
answer is above the value. A step has a deadline in days, a reminder that many days
after it reached the step, and an escalation to the head of the department at the
deadline (the periodic tick, `approvals/jobs.py`).
"""

from typing import Any

from django.utils.translation import gettext as _

ROLES = ["clerk", "head", "alderman", "admin"]
FEE = "fee"


def chain_schema(labels: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a service's `approval_chain`."""
    approver = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "role": {"enum": ROLES},
            "department": {"type": "string", "minLength": 1, "maxLength": 100},
            "user": {"type": "string", "minLength": 1, "maxLength": 150},
        },
        "oneOf": [{"required": ["role"]}, {"required": ["user"]}],
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["steps"],
        "properties": {
            "steps": {
                "type": "array",
                "minItems": 1,
                "maxItems": 10,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "approvers"],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
                        "title": labels,
                        "approvers": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 20,
                            "items": approver,
                        },
                        "require": {
                            "oneOf": [
                                {"enum": ["all", "any"]},
                                {"type": "integer", "minimum": 1, "maximum": 20},
                            ]
                        },
                        "condition": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["field", "above"],
                            "properties": {
                                "field": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
                                "above": {"type": "number"},
                            },
                        },
                        "deadline_days": {"type": "integer", "minimum": 1, "maximum": 365},
                        "reminder_days": {"type": "integer", "minimum": 1, "maximum": 365},
                    },
                },
            }
        },
    }


def chain_problems(
    chain: dict[str, Any], number_fields: set[str], *, at: str = "/approval_chain"
) -> list[tuple[str, str]]:
    """What the schema cannot say: unique step names, k within the approvers, a
    condition on a number of the form (or the fee), a reminder before the deadline."""
    problems: list[tuple[str, str]] = []
    names: set[str] = set()
    for i, step in enumerate(chain["steps"]):
        where = f"{at}/steps/{i}"
        if step["name"] in names:
            problems.append((f"{where}/name", _("A step name is used twice.")))
        names.add(step["name"])
        require = step.get("require", "all")
        if isinstance(require, int) and require > len(step["approvers"]):
            problems.append(
                (f"{where}/require", _("A step cannot need more approvals than it has approvers."))
            )
        condition = step.get("condition")
        if condition and condition["field"] != FEE and condition["field"] not in number_fields:
            problems.append(
                (
                    f"{where}/condition/field",
                    _(
                        "A step's condition names the fee or a number of the form; “%(name)s” is not one."
                    )
                    % {"name": condition["field"]},
                )
            )
        if "reminder_days" in step and step["reminder_days"] >= step.get("deadline_days", 366):
            problems.append(
                (f"{where}/reminder_days", _("The reminder comes before the deadline."))
            )
    return problems


def needed(step: dict[str, Any]) -> int:
    """How many of the step's approvers must approve."""
    require = step.get("require", "all")
    if require == "all":
        return len(step["approvers"])
    if require == "any":
        return 1
    return int(require)


def steps_for(chain: dict[str, Any] | None, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps of `chain` that a request with these values goes through (a step whose
    condition is not met is left out; a missing or non-number answer does not meet it)."""
    if not chain:
        return []
    steps = []
    for step in chain.get("steps", []):
        condition = step.get("condition")
        if condition:
            value = values.get(condition["field"])
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not value > condition["above"]:
                continue
        steps.append(step)
    return steps


def matches(spec: dict[str, Any], *, username: str, role: str, department: str) -> bool:
    """Whether an officer (their username, role and department here) is this approver."""
    if "user" in spec:
        return bool(spec["user"] == username)
    if spec["role"] != role:
        return False
    return "department" not in spec or spec["department"] == department
