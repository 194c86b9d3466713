"""Agent compilation: an agent version's instructions from its flow snippet and the
snippet's active prompt template (services.md, "Agent compilation"). Pure: the service
reads the records, this decides what they make."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aace.domain.entities import FlowSnippet, PromptTemplate

__all__ = ["compile_agent"]


def _substitute(text: str, template: PromptTemplate, values: Mapping[str, Any]) -> str:
    """Each ``{name}`` of a template variable replaced by the agent's value of that name."""
    for variable in template.variables:
        name = variable.get("name") if isinstance(variable, Mapping) else None
        if isinstance(name, str) and name in values:
            text = text.replace("{" + name + "}", str(values[name]))
    return text


def _values(variables: Any) -> dict[str, Any]:
    """The agent's variables (``[{name, value}, …]``) as a mapping."""
    found: dict[str, Any] = {}
    for item in variables or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            found[item["name"]] = item.get("value")
    return found


def compile_agent(
    fields: Mapping[str, Any], snippet: FlowSnippet | None, template: PromptTemplate | None
) -> dict[str, Any]:
    """The agent's fields with ``instructions`` and ``mcp_server_uuids`` compiled; as given
    when the snippet or its template is missing."""
    if snippet is None or template is None:
        return dict(fields)
    values = _values(fields.get("variables"))
    flow_context = snippet.flow_context or ""
    if flow_context:
        context = _substitute(flow_context, template, values)
        instructions = template.template_context.replace("{flow_snippet}", context)
    else:
        instructions = _substitute(
            template.template_context.replace("{flow_snippet}", ""), template, values
        )
    servers = [
        s["mcp_server_uuid"]
        for s in template.mcp_servers
        if isinstance(s, Mapping) and isinstance(s.get("mcp_server_uuid"), str)
    ]
    return {**fields, "instructions": instructions, "mcp_server_uuids": servers}
