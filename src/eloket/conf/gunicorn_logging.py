"""Gunicorn's access log without national numbers (common/redaction.py): a request line
may carry one, in any notation, and it must not end up in a log file."""

from typing import Any

from gunicorn.glogging import Logger

from eloket.common.redaction import redact

__all__ = ["RedactingLogger", "redact"]


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "a"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().error(redact(str(msg)), *args, **kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().warning(redact(str(msg)), *args, **kwargs)
