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
MASK = "[national number]"


def redact(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        bare = _ENCODED.sub("", match.group(0))  # the digits of %2E are not the number's
        digits = sum(ch.isdigit() for ch in bare)
        return MASK if digits in (11, 13) else match.group(0)

    return _RUN.sub(mask, text)


class RedactingFormatter(logging.Formatter):
    """The whole formatted line (message, arguments, traceback) redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
