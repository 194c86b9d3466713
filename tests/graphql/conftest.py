"""A GraphQL client over the session's store of each adapter: both schemas' gateways over
one ``Aace``, requests under a tenant (``part``), answers as the GraphQL response."""

from __future__ import annotations

from typing import Any

import pytest

from aace.application.container import wire_services
from aace.application.facade import Aace
from aace.application.settings import Settings
from aace.graphql import build_agent_core_schema, build_coordination_schema
from aace.graphql.gateway import Gateway


class Client:
    """Documents to the agent-core (``ac``) or coordination (``co``) schema."""

    def __init__(self, app: Aace, **options: Any) -> None:
        self.app = app
        self.gateways = {
            "ac": Gateway(app, build_agent_core_schema(), **options),
            "co": Gateway(app, build_coordination_schema(), **options),
        }

    async def __call__(
        self,
        schema: str,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        endpoint: str,
        part: str | None,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        gateway = self.gateways[schema]
        tenant = gateway.tenant(endpoint, part, context)
        return await gateway.execute(query, variables, tenant=tenant, context=context)


def open_app(store: Any) -> Aace:
    settings = Settings()
    return Aace(settings, store, wire_services(settings, store))


@pytest.fixture
def client(store) -> Client:
    return Client(open_app(store))
