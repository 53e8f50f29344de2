"""The garbage collector and a loaded application (`gc.freeze`).

CPython's cyclic collector walks every tracked object of the generations it collects, and
a loaded Eloket holds a few hundred thousand of them (Django, the URLconf with the API's
schemas, the templates, lxml and the XML schemas): a full collection, which allocations
set off every so often, walked them all in the middle of a request.
`benchmarks/messaging.py` measured it: the ORM's INSERT of fifty message rows spent 165 µs
a row with the collector on the whole heap against 19 µs with the loaded objects frozen,
and the register's messages in went from 690 to 860 a second.

`freeze_loaded()` moves what is loaded at start-up into the permanent generation, which the
collector leaves alone; what a request makes is still collected as before. The server calls
it once the application is loaded and warmed (in gunicorn's master with `--preload`, so the
forked workers share those objects' pages instead of copying them when a collection would
touch them: the use the Python documentation gives for it), and so does the task worker.
"""

import gc


def freeze_loaded() -> int:
    """Collect once, then freeze what is left; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
