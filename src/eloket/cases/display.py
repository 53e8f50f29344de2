"""How the timeline reads: each step's message in the reader's language."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from eloket.cases.models import StatusChange

# Apps that put codes into timeline parameters translate them here (certificates: the
# type code in "We received your request for %(what)s").
ParamLabeller = Callable[[str], str | None]
_labellers: list[ParamLabeller] = []


def register_what_labeller(labeller: ParamLabeller) -> None:
    _labellers.append(labeller)


def _label(value: str) -> str:
    for labeller in _labellers:
        label = labeller(value)
        if label:
            return label
    return value


def history_text(change: StatusChange) -> str:
    """The plain-language text of a timeline step, in the active language."""
    params = dict(change.params)
    if "what" in params:
        params["what"] = _label(str(params["what"]))
    try:
        return _(change.message) % params
    except (KeyError, ValueError, TypeError):
        return _(change.message)
