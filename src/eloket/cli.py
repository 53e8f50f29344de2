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

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
