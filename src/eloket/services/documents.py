"""The documents a service produces: a receipt at submission and a decision at the end,
each rendered from a shipped typst template and sealed like certificates."""

from typing import Any


def service_document_for(case: Any, change: Any) -> None:
    """Issue the document that entering `change.to_status` calls for, if the definition
    asks for one (filled in by the documents work of issue 12)."""
