"""Minimal valid input for every service's ``create``, and records made from it with the
parents they need: what an embedder's tests start from (``aace.testing``'s ``aace_records``).

The inputs are the smallest the services accept; ``overrides`` change or add fields. Records
of the platform registries (``llms``, ``ui_components``, ``wizard_schemas``) are written by an
operator (:data:`OPERATOR`) and read by every tenant.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from aace.application.roster import service_types
from aace.domain.tenancy import PlatformContext, TenantContext

__all__ = ["OPERATOR", "SampleRecords", "minimal_input", "platform_services"]

#: Who writes the platform registries in tests.
OPERATOR = PlatformContext(updated_by="aace-testing")


@functools.cache
def platform_services() -> frozenset[str]:
    """The services whose records only an operator writes: those whose entity is a platform
    registry (``EntitySchema.platform``), read from the roster."""
    return frozenset(
        name
        for name, service in service_types().items()
        if (spec := getattr(service, "spec", None)) is not None and spec.schema.platform
    )


#: Input of the services that need no parent record (``{unique}``: a fresh token).
_PLAIN: dict[str, dict[str, Any]] = {
    "agents": {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"},
    "async_tasks": {"function_name": "summarise", "arguments": {"a": 1}},
    "prompt_templates": {
        "prompt_type": "system",
        "prompt_name": "Greeter",
        "template_context": "Be kind. {flow_snippet}",
    },
    "flow_snippets": {"prompt_uuid": "p-1", "flow_name": "Flow"},
    "mcp_servers": {"mcp_label": "search", "mcp_server_url": "https://mcp.invalid/s"},
    "elements": {
        "data_type": "text",
        "element_title": "Name",
        "attribute_name": "name",
        "attribute_type": "string",
    },
    "wizards": {
        "wizard_title": "Setup",
        "wizard_type": "onboarding",
        "wizard_schema_type": "form",
        "wizard_schema_name": "basic",
    },
    "wizard_groups": {"wizard_group_name": "Group"},
    "wizard_group_filters": {"wizard_group_filter_name": "F", "region": "eu"},
    "llms": {
        "llm_provider": "openai",
        "llm_name": "model-{unique}",
        "module_name": "openai_agent",
        "class_name": "OpenAIAgent",
    },
    "ui_components": {"ui_component_type": "form", "tag_name": "t-{unique}"},
    "wizard_schemas": {"wizard_schema_type": "form", "wizard_schema_name": "s-{unique}"},
    "coordinations": {
        "coordination_name": "Support desk",
        "agents": [
            {"agent_uuid": "a-1", "agent_name": "Researcher", "agent_type": "task"},
            {"agent_uuid": "a-2", "agent_name": "Writer", "agent_type": "task"},
        ],
    },
}
_CONVERSATION = ("threads", "runs", "messages", "tool_calls", "fine_tuning_messages")
_COORDINATION = ("tasks", "sessions", "session_agents", "session_runs", "task_schedules")


def _fresh(value: Any, unique: str) -> Any:
    if isinstance(value, str):
        return value.replace("{unique}", unique)
    if isinstance(value, dict):
        return {k: _fresh(v, unique) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v, unique) for v in value]
    return value


def minimal_input(service: str, **overrides: Any) -> dict[str, Any]:
    """Valid ``create`` input for a service that needs no parent record (``KeyError`` for
    one that does: use :meth:`SampleRecords.input`)."""
    return {**_fresh(_PLAIN[service], uuid.uuid4().hex[:12]), **overrides}


class SampleRecords:
    """Creates valid records over an app (``Aace``), parents first."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def input(
        self, service: str, context: TenantContext, **overrides: Any
    ) -> dict[str, Any]:
        """Valid ``create`` input for ``service``, its parent records created first."""
        if service in _PLAIN:
            return minimal_input(service, **overrides)
        if service in _CONVERSATION:
            made = await self._conversation(service, context)
        elif service in _COORDINATION:
            made = await self._coordination(service, context)
        else:
            raise KeyError(f"no sample input for {service!r}")
        return {**made, **overrides}

    async def create(self, service: str, context: TenantContext, **overrides: Any) -> Any:
        """A new record of ``service`` for the tenant of ``context`` (a platform registry's
        is written by :data:`OPERATOR`), from :meth:`input` and ``overrides``."""
        data = await self.input(service, context, **overrides)
        actor = OPERATOR if service in platform_services() else context
        return await getattr(self.app, service).create(actor, data)

    async def _conversation(self, service: str, context: TenantContext) -> dict[str, Any]:
        agent = await self.create("agents", context)
        if service == "threads":
            return {"agent_uuid": agent.agent_uuid, "user_id": "u1"}
        thread = await self.app.threads.create(context, {"agent_uuid": agent.agent_uuid})
        if service == "fine_tuning_messages":
            return {
                "agent_uuid": agent.agent_uuid,
                "message_uuid": f"m-{thread.thread_uuid}",
                "thread_uuid": thread.thread_uuid,
                "role": "user",
                "content": "hi",
            }
        if service == "runs":
            return {"thread_uuid": thread.thread_uuid}
        run = await self.app.runs.create(context, {"thread_uuid": thread.thread_uuid})
        parents = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid}
        if service == "messages":
            return {**parents, "role": "user", "message": "hello"}
        return {**parents, "tool_type": "function", "name": "search"}

    async def _coordination(self, service: str, context: TenantContext) -> dict[str, Any]:
        coordination = await self.create("coordinations", context)
        c = coordination.coordination_uuid
        task_input = {"coordination_uuid": c, "task_name": "Answer", "initial_task_query": "q"}
        if service == "tasks":
            return task_input
        task = await self.app.tasks.create(
            context,
            {**task_input, "subtask_queries": [{"agent_uuid": "a-1", "subtask_query": "go"}]},
        )
        if service == "task_schedules":
            return {"task_uuid": task.task_uuid, "coordination_uuid": c, "schedule": "0 9 * * *"}
        session_input = {"coordination_uuid": c, "task_uuid": task.task_uuid}
        if service == "sessions":
            return session_input
        session = await self.app.sessions.create(context, session_input)
        s = session.session_uuid
        if service == "session_agents":
            return {"session_uuid": s, "coordination_uuid": c, "agent_uuid": "a-1"}
        return {
            "session_uuid": s,
            "run_uuid": f"r-{s}",
            "thread_uuid": "t-1",
            "agent_uuid": "a-1",
            "coordination_uuid": c,
            "async_task_uuid": "at-1",
        }
