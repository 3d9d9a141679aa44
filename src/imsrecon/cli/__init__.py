"""The command line (Typer + Rich): thin shells over :mod:`imsrecon.workflow` and friends.

Polars allocates through jemalloc, which keeps freed pages for a while (Polars' defaults: dirty
pages 0.5 s, "muzzy" ones 1 s); a run over a million documents then peaks higher than its data
needs (measured at 1M: 2.28 GB with those defaults, 1.96 GB with muzzy pages returned at once, in
the same time). The CLI asks for that, unless the user set ``_RJEM_MALLOC_CONF`` already. Polars
appends the setting to its own defaults when it loads, so it must be in the environment before:
hence here, before any command module is imported. Library users of :mod:`imsrecon` are not
affected.
"""

import os

os.environ.setdefault("_RJEM_MALLOC_CONF", "muzzy_decay_ms:0")
