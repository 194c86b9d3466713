"""The services' stateful test with the cache on (in-process and Redis): random calls,
concurrent writers and readers, every read checked against the model after every step."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest

from tests.property.test_service_state_machine import run_machine

pytestmark = pytest.mark.anyio


async def test_cached_services_agree_with_the_model(cached_store: Any) -> None:
    await anyio.to_thread.run_sync(run_machine, cached_store)
    assert cached_store.gate.hits > 0  # the machine's reads were served by the cache too
