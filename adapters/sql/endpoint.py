"""Where a store's database is, described once per store for error messages.

The description names the backend, the host and port (or the SQLite file) and the database,
never the password; it is computed when the store is built so that failures only format it.
"""

from __future__ import annotations

import os
import shlex

import attrs
from sqlalchemy.engine import URL, make_url

__all__ = ["Endpoint"]

#: PostgreSQL's port when the URL names none.
DEFAULT_POSTGRESQL_PORT = 5432


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@attrs.frozen
class Endpoint:
    """The database a store talks to: ``str()`` gives ``PostgreSQL at host:port (database
    db)`` or ``SQLite file path``; ``init_command`` is the ``aace init`` that prepares it."""

    #: ``PostgreSQL`` or ``SQLite``.
    backend: str
    #: ``host:port`` (PostgreSQL) or the file's absolute path (SQLite).
    address: str
    #: The database's name (PostgreSQL) or the file's path (SQLite).
    database: str
    #: The PostgreSQL role (empty when the driver's default applies, and for SQLite).
    role: str
    #: ``aace init --storage <url>`` with the password masked, ready to paste.
    init_command: str
    #: Kept only to scrub it from driver messages; never shown.
    _secret: str = attrs.field(default="", repr=False, eq=False, alias="secret")

    @classmethod
    def from_url(cls, url: URL, given: str) -> Endpoint:
        """The endpoint of the normalised ``url``; ``given`` is the URL as configured (its
        adapter options are kept in the suggested ``aace init`` command)."""
        shown = make_url(given).render_as_string(hide_password=True)
        init_command = f"aace init --storage {shlex.quote(shown)}"
        if url.get_backend_name() == "sqlite":
            # Absolute, so that a log line says which file even for a relative URL.
            path = os.path.abspath(url.database or "")
            return cls("SQLite", path, path, "", init_command)
        role = url.username or ""
        hosts = url.query.get("host")  # asyncpg's several hosts: ?host=a:5432&host=b:5432
        if url.host or not hosts:
            address = _address(url.host or "localhost", url.port or DEFAULT_POSTGRESQL_PORT)
        else:
            address = hosts if isinstance(hosts, str) else ", ".join(hosts)
        return cls(
            "PostgreSQL",
            address,
            url.database or role,
            role,
            init_command,
            secret=url.password or "",
        )

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "SQLite"

    def scrub(self, text: str) -> str:
        """``text`` with the password, should a driver ever echo it, masked."""
        return text.replace(self._secret, "***") if self._secret else text

    def __str__(self) -> str:
        if self.is_sqlite:
            return f"SQLite file {self.address}"
        return f"PostgreSQL at {self.address} (database {self.database})"
