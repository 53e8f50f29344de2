"""The `eloket` console command: Django's management utility with Eloket's settings.

With no environment at all it works on the same SQLite file as `make run`
(`var/eloket.sqlite3` in the project directory), so `eloket tenant create` or
`eloket register import` change what a running `make run` serves at once.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eloket.conf.settings")
    from django.core.management import execute_from_command_line

    if sys.argv[1:2] == ["db_worker"]:
        # The task worker: loaded once and kept out of the collector's walks, as the
        # server is (eloket.conf.heap); the URLconf too, which the tasks' code imports.
        import django
        from django.urls import get_resolver

        from eloket.conf.heap import freeze_loaded

        django.setup()
        get_resolver().url_patterns  # noqa: B018
        freeze_loaded()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
