"""What every adapter factory receives: the storage URL and the settings adapters share.

The application builds one :class:`StoreConfig` from its settings and hands it to the
adapter chosen by the URL's scheme; adapters never read the environment themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

import attrs

from aace.domain.query import CursorCodec
from aace.domain.schema import TableNames

__all__ = ["StoreConfig", "scheme_of"]


def scheme_of(url: str) -> str:
    """The adapter part of a URL's scheme (``postgresql+asyncpg`` gives ``postgresql``)."""
    return urlsplit(url).scheme.split("+", 1)[0]


@attrs.frozen
class StoreConfig:
    """A store's configuration.

    ``url`` picks and locates the backend (``memory://``, ``sqlite:///path.db``,
    ``postgresql+asyncpg://user@host/db``, ``dynamodb://host:port?region=…``).
    ``options`` holds adapter-specific tuning (pool sizes, worker threads, …) as text.
    """

    url: str
    codec: CursorCodec
    table_names: TableNames = attrs.field(factory=TableNames)
    options: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def scheme(self) -> str:
        """The adapter part of the scheme (``postgresql+asyncpg`` gives ``postgresql``)."""
        return scheme_of(self.url)

    @property
    def query(self) -> dict[str, str]:
        """The URL's query parameters."""
        return dict(parse_qsl(urlsplit(self.url).query))

    def option(self, name: str, default: str) -> str:
        """An adapter option: the URL's query first, then ``options``, then ``default``."""
        return self.query.get(name, self.options.get(name, default))
