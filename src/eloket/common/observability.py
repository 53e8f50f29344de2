"""What every app may use to be observed (docs/operations.md): the request id of the work
in hand (a context variable the request middleware and the task worker set), a logging
filter that puts it on every record, the JSON log formatter, and the counters that domain
code increments (certificates issued, e-mails sent, outbox failures).

The counters are prometheus-client's: per process, or shared by the processes of a node
through files when PROMETHEUS_MULTIPROC_DIR is set (gunicorn's workers and the task
worker); `eloket.ops` exposes them at /metrics."""

import contextvars
import logging
import re
import uuid
from typing import Any

from prometheus_client import Counter
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from eloket.common.redaction import redact

# --- The request id.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# What a client (or the proxy in front) may hand us in X-Request-ID: a token, not prose.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,99}$")


def current_request_id() -> str:
    return request_id_var.get()


def accepted_request_id(header: str | None) -> str:
    """The id of an incoming request: the header's if well-formed, else a new one."""
    if header and REQUEST_ID_RE.match(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id` (empty outside a request or a task that came from one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # Django logs a 4xx/5xx answer after the middleware is done: from its request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", "") or request_id_var.get()
        return True


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        text = str(value)
        masked = redact(text)
        return value if masked == text else masked
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return redact(str(value))


class JsonFormatter(_JsonFormatter):
    """One JSON object a line (python-json-logger), every value redacted like the plain
    lines (common/redaction.py): no national number, in any notation, in any field."""

    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        record = super().process_log_record(log_record)
        # Django's own `request` extra prints as its path, which the message has already.
        record.pop("request", None)
        return {key: _redacted(value) for key, value in record.items()}


# --- Counters the domain code increments.
CERTIFICATES_ISSUED = Counter(
    "eloket_documents_issued",
    "Sealed documents (certificates) issued, by municipality and kind.",
    ["municipality", "kind"],
)
OUTBOX_SENT = Counter(
    "eloket_outbox_sent",
    "Outbox messages delivered, by kind (kind=email: e-mails sent).",
    ["kind"],
)
OUTBOX_FAILED = Counter(
    "eloket_outbox_failures",
    "Failed outbox delivery attempts, by kind and whether it was the last.",
    ["kind", "final"],
)
