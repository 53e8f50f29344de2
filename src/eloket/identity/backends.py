"""Django's `ModelBackend`, with the read every logged-in request makes — the user of the
session, by id — written out in SQL: composed by the ORM it cost more than running it, a
third of a logged-in citizen's order page once the page itself was kept (issue 11, point
11; as the session's read, identity/session_store.py). Passwords, permissions and who
may log in are Django's own."""

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db import connections, router


@cache
def _user_statement(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in User._meta.concrete_fields)
    # The model's own table and column names only: the id is a parameter.
    return f"SELECT {columns} FROM {quote(User._meta.db_table)} WHERE {quote('id')} = %s"  # noqa: S608  # nosec B608


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        alias = router.db_for_read(User)
        found = list(User.objects.using(alias).raw(_user_statement(alias), [user_id]))
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
