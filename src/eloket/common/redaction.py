"""National numbers never reach a log (issue 10): every log line, from any logger and
gunicorn's access log, passes through `redact`, which masks any run of 11 digits (a
Belgian national or BIS number) or 13 (a Korean resident number), however they are
written: bare, with dots, dashes, slashes, spaces, `+` or any other separator, or
URL-encoded (`%2E`, `%2D`, `%2F`, `%20`). Dates and times keep their shape (a timestamp's
digits are never 11 or 13)."""

import logging
import re

# A run of digits with at most one separator between two digits (any character that is
# not a letter or a digit, or a URL-encoded one); its digits are counted afterwards.
_SEPARATOR = r"(?:%[0-9A-Fa-f]{2}|[^\w%]|_)"
_RUN = re.compile(rf"(?<!\d)\d(?:{_SEPARATOR}?\d)*(?!\d)")
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
# A UUID (a task's id, a request id) is 32 hex digits, in five groups or written together
# (a request id, nginx's `$request_id`): a run of its digits, or a few of its groups,
# could count 11 and read as a number (one request id in six did), so UUIDs are left as
# they are. No national number is written as one.
_UUID = re.compile(
    r"(?<![0-9A-Fa-f-])(?:[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}|[0-9A-Fa-f]{32})"
    r"(?![0-9A-Fa-f-])"
)
MASK = "[national number]"


def redact(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        bare = _ENCODED.sub("", match.group(0))  # the digits of %2E are not the number's
        digits = sum(ch.isdigit() for ch in bare)
        return MASK if digits in (11, 13) else match.group(0)

    parts = []
    start = 0
    for uuid in _UUID.finditer(text):
        parts.append(_RUN.sub(mask, text[start : uuid.start()]))
        parts.append(uuid.group(0))
        start = uuid.end()
    parts.append(_RUN.sub(mask, text[start:]))
    return "".join(parts)


class RedactingFormatter(logging.Formatter):
    """The whole formatted line (message, arguments, traceback) redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
