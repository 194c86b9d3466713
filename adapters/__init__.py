"""Storage adapters, one sub-package per backend. Driver exceptions stop here."""
