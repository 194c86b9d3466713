"""What the integration tests share: a real server on a loopback port, the embedder's auth
middleware and the resolver that reads the principal it verified."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import uvicorn

from aace import Forbidden, TenantContext

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}
#: Three fields wrong at once: a broken rule, a wrong type, an unknown field, and one missing.
BAD_AGENT = {"agent_name": "", "llm_provider": 5, "bogus": 1}
_CLAIMS = ("sub", "endpoint_id", "part_id")


def signed_in(sub: str, part_id: str, endpoint_id: str = "ep-1") -> dict[str, str]:
    """The headers of a request by ``sub`` of the tenant ``endpoint_id#part_id`` (the stand-in
    token names them: a real one would be verified)."""
    return {"Authorization": f"Bearer {sub}:{endpoint_id}:{part_id}"}


def fresh_tenants() -> tuple[dict[str, str], dict[str, str]]:
    """Two signed-in users of two new tenants, so tests sharing a server never meet."""
    run = uuid.uuid4().hex[:8]
    return signed_in("alice", f"acme-{run}"), signed_in("bob", f"globex-{run}")


class BearerAuth:
    """The embedder's auth middleware (pure ASGI): puts the principal the bearer token names
    (here unverified, a stand-in), or ``None``, on ``request.state.user``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            header = dict(scope["headers"]).get(b"authorization", b"")
            parts = header.decode().removeprefix("Bearer ").split(":")
            user = dict(zip(_CLAIMS, parts, strict=True)) if len(parts) == 3 else None
            scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


def tenant_of_user(request: Any) -> TenantContext:
    """The resolver the docs lead with: the authenticated principal names the tenant."""
    user = getattr(request.state, "user", None)
    if user is None:
        raise Forbidden("no authenticated principal")
    return TenantContext.from_request(user["endpoint_id"], user["part_id"], updated_by=user["sub"])


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """``app`` served by uvicorn on a loopback port (its lifespan run), and a client of it.

    The socket listens before the server starts, so requests wait in its backlog until the
    app has started: nothing polls."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [listener])
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                yield client
        finally:
            server.should_exit = True
