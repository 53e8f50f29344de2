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
def _user_statement(alias: str) -> tuple[str, list[str], list[list[Any]]]:
    """The statement, the attribute names of its columns, and each column's converters
    (a date read from SQLite's text, for one): what Django's raw query works out anew
    for every row it reads, worked out once."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = User._meta.concrete_fields
    columns = ", ".join(quote(str(field.column)) for field in fields)
    converters = []
    for field in fields:
        column = field.get_col(User._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append([(converter, column) for converter in found])
    # The model's own table and column names only: the id is a parameter.
    sql = f"SELECT {columns} FROM {quote(User._meta.db_table)} WHERE {quote('id')} = %s"  # noqa: S608  # nosec B608
    return sql, [field.attname for field in fields], converters


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        alias = router.db_for_read(User)
        sql, attnames, converters = _user_statement(alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for i, column_converters in enumerate(converters):
            for converter, expression in column_converters:
                values[i] = converter(values[i], expression, connection)
        user = User.from_db(alias, attnames, values)
        return user if self.user_can_authenticate(user) else None
