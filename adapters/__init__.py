"""Storage adapters, one sub-package per backend. Driver exceptions stop here."""

if __name__ != "aace.adapters":  # pragma: no cover - a checkout's top-level folder
    raise ImportError(f"import aace.adapters, not {__name__}: the package has one name")
