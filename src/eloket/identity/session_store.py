"""Django's database sessions, with the read every logged-in request makes written out in
SQL: composed by the ORM it cost more than running it, on every page of a logged-in
citizen (issue 11, point 11; as the forum's reads, forum/selectors.py). Everything else
(writing, expiry, rotation) is Django's own.

The session's data is signed (HMAC) and Django checks the signature on every read: ~45 µs,
more than the read itself. A process remembers what the data it has checked said, under
the exact signed text it read from the database; the same text again (the same session,
unchanged) is not checked again. The database stays the only source: a session logged
out, expired or rotated is not read, and changed data is new text, checked anew."""

import json
from types import SimpleNamespace
from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

# The signed text → its data as JSON; cleared when full (sessions of this process's users).
_checked: dict[str, str] = {}
CHECKED_MAX = 10_000


class SessionStore(db.SessionStore):
    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode()
        known = _checked.get(session_data)
        if known is not None:
            return json.loads(known)  # a fresh dict: the caller may change it
        data: dict[str, Any] = super().decode(session_data)
        if data:  # Django's decode answers {} for text it could not check: not kept
            if len(_checked) >= CHECKED_MAX:
                _checked.clear()
            _checked[session_data] = json.dumps(data)
        return data

    def _get_session_from_db(self) -> Any:
        """The unexpired session's data, or None (and no key) as Django's own read.

        Read where it is written, on the primary even for a page read from a replica
        (common/dbrouter.py): a session read from a replica that lags (a GET that wrote it,
        the OIDC login's state, not yet replicated) comes back without what was just
        written, or as missing, and the request's next save makes a new session without it
        (a citizen's login was refused as "not started here", docs/scaling.md)."""
        connection = connections[router.db_for_write(self.model)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')} FROM {quote(self.model._meta.db_table)}"  # noqa: S608  # nosec B608
                f" WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return SimpleNamespace(session_data=row[0])  # what `load` reads of the row
