"""Use cases (services), settings, wiring, the facade and its blocking twin, the CLI.

The public names are imported from ``aace`` (``from aace import Aace, Settings``); this
package's ``__init__`` imports nothing, so loading one module of it loads only that one.
"""

if __name__ != "aace.application":  # pragma: no cover - a checkout's top-level folder
    raise ImportError(f"import aace.application, not {__name__}: the package has one name")
