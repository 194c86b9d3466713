"""Starlette specifics: the lifespan opens and closes Aace, and the platform preset."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aace import Aace, Settings
from aace.contrib.starlette import (
    current_aace,
    current_tenant,
    install,
    lifespan,
    platform_tenant,
    respond,
)
from tests.contrib.serving import serving

pytestmark = pytest.mark.anyio


async def test_the_lifespan_opens_and_closes_one_aace() -> None:
    opened: list[Aace] = []

    async def which(request: Request) -> Response:
        opened.append(current_aace(request))
        return respond({"adapter": current_aace(request).store.adapter})

    app = Starlette(
        routes=[Route("/which", which)], lifespan=lifespan(Settings(storage_url="memory://"))
    )
    install(app)
    async with serving(app) as client:
        for _ in range(2):
            assert (await client.get("/which")).json() == {"adapter": "memory"}
    assert opened[0] is opened[1]
    assert opened[0]._closed
    assert not hasattr(app.state, "aace")


async def test_the_platform_preset_reads_the_path_and_part_id() -> None:
    async def whoami(request: Request) -> Response:
        ctx = await current_tenant(request)
        return respond({"tenant": str(ctx.partition_key)})

    routes = [Route("/{endpoint_id}/whoami", whoami), Route("/plain/whoami", whoami)]
    app = Starlette(routes=routes, lifespan=lifespan(Settings(storage_url="memory://")))
    install(app, tenant=platform_tenant())
    async with serving(app) as client:
        found = await client.get("/ep-5/whoami", headers={"Part-Id": "acme"})
        assert found.json() == {"tenant": "ep-5#acme"}
        fallback = await client.get("/ep-5/whoami")
        assert fallback.json() == {"tenant": "ep-5#ep-5"}
        first_segment = await client.get("/plain/whoami", headers={"Part-Id": "acme"})
        assert first_segment.json() == {"tenant": "plain#acme"}
