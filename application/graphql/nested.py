"""Nested fields through the request's loader: a related record by key is one batched read
per relation per nested level for a whole page (the loader gathers the keys a tick asks
for); an active version by stable id is one query per distinct id; a parent's children
(a thread's messages, a session's agents) one listing per parent. Fields that are not
storage are ``null`` unless the embedder registers a resolver for them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aace.application.serialization import camel_case, to_json_data
from aace.domain.entities import AGENTS, PROMPT_TEMPLATES, SESSIONS, THREADS
from aace.graphql.state import RequestState, state_of

if TYPE_CHECKING:
    from aace.graphql.entity_api import EntityApi, Nested

__all__ = ["PER_PARENT", "nested_resolver"]

Resolve = Callable[[RequestState, Any], Awaitable[Any]]


async def _llm(state: RequestState, root: Any) -> Any:
    return await state.loader.load("llms", (root.llm_provider, root.llm_name))


async def _mcp_servers(state: RequestState, root: Any) -> Any:
    names = root.mcp_servers if hasattr(root, "prompt_uuid") else root.mcp_server_uuids
    uuids = [_id_of(item, "mcp_server_uuid") for item in names or []]
    found = await state.loader.load_many("mcp_servers", [u for u in uuids if u])
    return [item for item in found if item is not None]


async def _by_key(state: RequestState, what: str, *key: Any) -> Any:
    if any(not part for part in key):
        return None
    return await state.loader.load(what, tuple(key))


async def _flow_snippet(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "flow_snippets", root.flow_snippet_version_uuid)


async def _agent(state: RequestState, root: Any) -> Any:
    return await state.loader.active(AGENTS, "agent_uuid", root.agent_uuid)


async def _prompt_template(state: RequestState, root: Any) -> Any:
    return await state.loader.active(PROMPT_TEMPLATES, "prompt_uuid", root.prompt_uuid)


async def _children(state: RequestState, schema: Any, root: Any, relation: str) -> Any:
    related = await state.loader.related(schema, [root], [relation])
    return [to_json_data(item) for item in related[relation][schema.key_of(root)]]


async def _thread_messages(state: RequestState, root: Any) -> Any:
    return await _children(state, THREADS, root, "messages")


async def _thread_tool_calls(state: RequestState, root: Any) -> Any:
    return await _children(state, THREADS, root, "tool_calls")


async def _session_agents(state: RequestState, root: Any) -> Any:
    return await _children(state, SESSIONS, root, "session_agents")


async def _session_runs(state: RequestState, root: Any) -> Any:
    return await _children(state, SESSIONS, root, "session_runs")


async def _thread(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "threads", root.thread_uuid)


async def _run(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "runs", root.thread_uuid, root.run_uuid)


async def _wizard_schema(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "wizard_schemas", root.wizard_schema_type, root.wizard_schema_name)


async def _wizard_elements(state: RequestState, root: Any) -> Any:
    refs = [item for item in root.wizard_elements or [] if isinstance(item, dict)]
    uuids = [_id_of(item, "element_uuid") for item in refs]
    found = await state.loader.load_many("elements", [u for u in uuids if u])
    by_uuid = {item.element_uuid: item for item in found if item is not None}
    return [
        {
            "element": to_json_data(by_uuid[uuid]),
            "required": ref.get("required", False),
            "placeholder": ref.get("placeholder"),
        }
        for ref, uuid in zip(refs, uuids, strict=True)
        if uuid in by_uuid
    ]


async def _wizards(state: RequestState, root: Any) -> Any:
    found = await state.loader.load_many("wizards", [u for u in root.wizard_uuids or [] if u])
    return [item for item in found if item is not None]


async def _wizards_json(state: RequestState, root: Any) -> Any:
    return [to_json_data(item) for item in await _wizards(state, root)]


async def _wizard_group(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "wizard_groups", root.wizard_group_uuid)


async def _ui_components(state: RequestState, root: Any) -> Any:
    keys: list[tuple[str, ...]] = []
    for item in root.ui_components or []:
        if isinstance(item, dict):
            key = (item.get("ui_component_type"), item.get("ui_component_uuid"))
            if all(isinstance(part, str) and part for part in key):
                keys.append(tuple(str(part) for part in key))
    found = await state.loader.load_many("ui_components", keys)
    return [to_json_data(item) for item in found if item is not None]


async def _headers(state: RequestState, root: Any) -> Any:
    if not state.operator:
        return None
    return await state.credentials_of(root.mcp_server_uuid)


async def _coordination(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "coordinations", root.coordination_uuid)


async def _task(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "tasks", root.coordination_uuid, root.task_uuid)


async def _session(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "sessions", root.coordination_uuid, root.session_uuid)


async def _session_agent(state: RequestState, root: Any) -> Any:
    return await _by_key(state, "session_agents", root.session_uuid, root.session_agent_uuid)


def _id_of(item: Any, name: str) -> str | None:
    value = item.get(name) if isinstance(item, dict) else item
    return value if isinstance(value, str) and value else None


_RESOLVERS: dict[str, Resolve] = {
    "llm": _llm,
    "mcp_servers": _mcp_servers,
    "flow_snippet": _flow_snippet,
    "agent": _agent,
    "prompt_template": _prompt_template,
    "thread_messages": _thread_messages,
    "thread_tool_calls": _thread_tool_calls,
    "session_agents": _session_agents,
    "session_runs": _session_runs,
    "thread": _thread,
    "run": _run,
    "wizard_schema": _wizard_schema,
    "wizard_elements": _wizard_elements,
    "wizards": _wizards,
    "wizards_json": _wizards_json,
    "wizard_group": _wizard_group,
    "ui_components": _ui_components,
    "headers": _headers,
    "coordination": _coordination,
    "task": _task,
    "session": _session,
    "session_agent": _session_agent,
}

#: Relations that cost one storage request per parent record (not one per page): an
#: active version by stable id, a parent's children, an MCP server's credentials.
PER_PARENT = frozenset(
    {
        "agent",
        "prompt_template",
        "thread_messages",
        "thread_tool_calls",
        "session_agents",
        "session_runs",
        "headers",
    }
)


def nested_resolver(api: EntityApi, nested: Nested) -> Callable[..., Any]:
    """The graphene resolver of ``nested`` on ``api``'s type."""
    field = f"{api.type_name}.{camel_case(nested.name)}"
    relation = nested.relation
    resolve = _RESOLVERS[relation] if relation is not None else None

    async def resolver(root: Any, info: Any) -> Any:
        state = state_of(info)
        custom = state.fields.get(field)
        if custom is not None:
            result = custom(state, root)
            return await result if isinstance(result, Awaitable) else result
        if resolve is None:
            return None
        return await resolve(state, root)

    return resolver
