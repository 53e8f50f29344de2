"""Keys in URLs, bounded before they reach a query (issue 10, 8).

Django's `<int:...>` takes any run of digits, and a key beyond what the database holds
(`/gent/forum/99999999999999999999`) made SQLite raise OverflowError in a raw query: a 500
where a 404 belongs. A key is 1 .. ID_MAX, the bound the forms' ids have too
(`common.forms.id_of`); anything else names nothing, and is answered as such:

- in a URL, the `<id:...>` converter matches ASCII digits without sign or leading zero,
  at most as many as ID_MAX has, and refuses (404) what lies beyond it; `<int:...>` is not
  used (`tests/test_attacks_inputs.py` walks every URL that takes a key);
- in a form field or query string, `common.forms.id_of` and `page_of`;
- in the API, `Id` (api/schemas.py): the same range, in the OpenAPI schema (422 outside).
"""

from django.urls import register_converter

from eloket.common.forms import ID_MAX


class IdConverter:
    """`<id:name>`: a key, 1 .. ID_MAX, written without sign or leading zeros."""

    # ASCII only: Django compiles converters' regexes as str patterns, where \d would take
    # Arabic-Indic digits too.
    regex = f"[1-9][0-9]{{0,{len(str(ID_MAX)) - 1}}}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > ID_MAX:
            raise ValueError("beyond any key")  # Django answers: no such page (404)
        return number

    def to_url(self, value: int | str) -> str:
        number = int(value)
        if not 1 <= number <= ID_MAX:
            raise ValueError("not a key")
        return str(number)


def register_converters() -> None:
    """Called once, from the common app's `ready()`, before any URLconf is read."""
    register_converter(IdConverter, "id")
