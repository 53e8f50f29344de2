"""Gunicorn's access log without national numbers: the API takes them in a few URLs
(`/backoffice/persons/{national_number}`), and they must not end up in log files."""

import re
from typing import Any

from gunicorn.glogging import Logger

# 11 digits (Belgium) or 13 (Korea), possibly written with separators.
NATIONAL_NUMBER = re.compile(r"(?<!\d)(\d[\d.\-]{9,16}\d)(?!\d)")


def redact(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(1))
        return "[national number]" if len(digits) in (11, 13) else match.group(1)

    return NATIONAL_NUMBER.sub(mask, text)


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
