"""`python -m eloket`: the same as the `eloket` command."""

from eloket.cli import main

main()
