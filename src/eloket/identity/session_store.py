"""Django's database sessions, with the read every logged-in request makes written out in
SQL: composed by the ORM it cost more than running it, on every page of a logged-in
citizen (issue 11, point 11; as the forum's reads, forum/selectors.py). Everything else
(writing, expiry, rotation) is Django's own."""

from types import SimpleNamespace
from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        """The unexpired session's data, or None (and no key) as Django's own read."""
        connection = connections[router.db_for_read(self.model)]
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
