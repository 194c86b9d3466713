"""``insertUpdate<X>``: the platform's insert-or-update mapped onto the services' verbs. A
record's own id, when given and present, updates it; when given and absent, it is the new
record's id (``create(..., id=)``); without one, the package makes it. Natural keys
update or create; versioned entities create, add a version, update a version, activate or
duplicate; managed fields map onto their verbs or are refused naming the field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aace.domain.errors import ValidationError
from aace.graphql.entity_api import EntityApi
from aace.graphql.state import RequestState

__all__ = ["WRITERS", "write"]

Writer = Callable[[EntityApi, RequestState, dict[str, Any]], Awaitable[Any]]


def _cleared(api: EntityApi, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The literal ``"null"`` clears a field on the entities where the platform does (G2)."""
    if not api.null_clears:
        return dict(changes)
    return {k: (None if v == "null" else v) for k, v in changes.items()}


def _key(api: EntityApi, data: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The record's key from the arguments, ``None`` when a part is missing."""
    key = tuple(data.get(name) for name in api.schema.key_fields)
    if all(isinstance(part, str) and part for part in key):
        return tuple(str(part) for part in key)
    return None


def _changes(api: EntityApi, data: Mapping[str, Any]) -> dict[str, Any]:
    keys = set(api.schema.key_fields)
    return _cleared(api, {k: v for k, v in data.items() if k not in keys})


async def _update_or_create(api: EntityApi, state: RequestState, data: dict[str, Any]) -> Any:
    """Update the record the key names when it exists, else create it (its own id the
    caller's when given)."""
    service = getattr(state.app, api.service)
    context = state.writer(api.registry)
    key = _key(api, data)
    if key is not None:
        current = await service.find(context, *key)
        if current is not None:
            changes = _changes(api, data)
            return await service.update(context, *key, changes) if changes else current
    if api.write == "natural":
        return await service.create(context, data)
    own = api.schema.range_key
    chosen = data.pop(own, None)
    return await service.create(context, data, id=chosen or None)


async def _versioned(api: EntityApi, state: RequestState, data: dict[str, Any]) -> Any:
    service = getattr(state.app, api.service)
    context = state.tenant
    duplicate = data.pop("duplicate", None)
    status = data.pop("status", None)
    version = data.pop(api.schema.range_key, None)
    stable_attr = api.stable_id or ""
    stable = data.pop(stable_attr, None)
    if status not in (None, "active", "inactive"):
        raise ValidationError("status", "must be active or inactive")
    if duplicate:
        if not stable:
            if not version:
                raise ValidationError(stable_attr, "is needed to duplicate")
            stable = getattr(await service.get(context, version), stable_attr)
        return await service.duplicate(context, stable)
    if version:
        result = await service.get(context, version)
        if status == "inactive" and result.status == "active":
            raise ValidationError(
                "status", "an active version becomes inactive when another one is activated"
            )
        changes = _cleared(api, data)
        if changes:
            result = await service.update(context, version, changes)
        if status == "active" and result.status != "active":
            result = await service.activate(context, version)
        return result
    if status == "inactive":
        raise ValidationError("status", "a new version is the active one")
    if stable:
        return await service.new_version(context, stable, data)
    return await service.create(context, data)


async def _thread(api: EntityApi, state: RequestState, data: dict[str, Any]) -> Any:
    """``insertThread``: an existing thread is returned as it is (the platform's no-op)."""
    uuid = data.pop("thread_uuid", None)
    if uuid:
        found = await state.app.threads.find(state.tenant, uuid)
        if found is not None:
            return found
    return await state.app.threads.create(state.tenant, data, id=uuid or None)


async def _run(api: EntityApi, state: RequestState, data: dict[str, Any]) -> Any:
    """Runs: created with zero tokens, then updated with the tokens given; ``totalTokens``
    is the package's sum, accepted only when it agrees."""
    runs = state.app.runs
    total = data.pop("total_tokens", None)
    tokens: dict[str, Any] = {
        k: data.pop(k) for k in ("completion_tokens", "prompt_tokens") if k in data
    }
    thread_uuid = data.get("thread_uuid")
    run_uuid = data.pop("run_uuid", None)
    current = None
    if run_uuid and thread_uuid:
        current = await runs.find(state.tenant, thread_uuid, run_uuid)
    if total is not None:
        spent = {
            name: tokens.get(name, getattr(current, name, 0) if current else 0)
            for name in ("completion_tokens", "prompt_tokens")
        }
        if total != sum(spent.values()):
            raise ValidationError(
                "total_tokens", "is completion_tokens + prompt_tokens (set by the package)"
            )
    if current is None:
        current = await runs.create(state.tenant, data, id=run_uuid or None)
        changes = tokens
    else:
        changes = {**_changes(api, data), **tokens}
    if not changes:
        return current
    return await runs.update(state.tenant, current.thread_uuid, current.run_uuid, changes)


async def _session(api: EntityApi, state: RequestState, data: dict[str, Any]) -> Any:
    """Sessions: ``iterationCount`` one up is ``next_iteration``, unchanged is nothing;
    ``logs`` is the package's (``append_log``): given unchanged it is accepted."""
    sessions = state.app.sessions
    iteration = data.pop("iteration_count", None)
    logs = data.pop("logs", None)
    key = _key(api, data)
    current = await sessions.find(state.tenant, *key) if key else None
    now = current.iteration_count if current is not None else 0
    if iteration is not None and iteration not in (now, now + 1):
        raise ValidationError("iteration_count", "goes up one at a time (next_iteration)")
    if logs is not None and logs != (current.logs if current is not None else None):
        raise ValidationError("logs", "is appended by the package (append_log)")
    result = await _update_or_create(api, state, data)
    if iteration == now + 1:
        result = await sessions.next_iteration(
            state.tenant, result.coordination_uuid, result.session_uuid
        )
    return result


async def _session_agent(api: EntityApi, state: RequestState, data: dict[str, Any]) -> Any:
    """Session agents: ``inDegree`` is the package's (accepted unchanged); ``state``
    ``executing`` is ``begin`` and ``completed`` is ``complete``."""
    agents = state.app.session_agents
    in_degree = data.pop("in_degree", None)
    target = data.pop("state", None) if data.get("state") in ("executing", "completed") else None
    key = _key(api, data)
    current = await agents.find(state.tenant, *key) if key else None
    now = current.in_degree if current is not None else 0
    if in_degree is not None and in_degree != now:
        raise ValidationError("in_degree", "is counted by the package from predecessors")
    agent_input = data.pop("agent_input", None) if target == "executing" else None
    agent_output = data.pop("agent_output", None) if target == "completed" else None
    result = await _update_or_create(api, state, data)
    key = (result.session_uuid, result.session_agent_uuid)
    if target == "executing":
        return await agents.begin(state.tenant, *key, agent_input or "")
    if target == "completed":
        return await agents.complete(state.tenant, *key, agent_output or "")
    return result


WRITERS: dict[str, Writer] = {
    "generic": _update_or_create,
    "natural": _update_or_create,
    "versioned": _versioned,
    "thread": _thread,
    "run": _run,
    "session": _session,
    "session_agent": _session_agent,
}


async def write(api: EntityApi, state: RequestState, arguments: Mapping[str, Any]) -> Any:
    """The record ``insertUpdate<X>`` leaves, from its arguments (snake_case names)."""
    data = {
        k: v
        for k, v in arguments.items()
        if v is not None and k != "updated_by" and k not in api.ignored
    }
    return await WRITERS[api.write](api, state.with_updated_by(arguments.get("updated_by")), data)
