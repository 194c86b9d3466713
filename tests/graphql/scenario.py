"""Every persistence operation of both schemas as one scenario: per entity, in dependency
order, the insert variables (from the ids made before), a field to update, a list filter;
documents are the generator's (every field selected, recursively)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import attrs

from aace.graphql import build_agent_core_schema, build_coordination_schema, generate_operation

Made = dict[str, dict[str, Any]]  # entity name -> the first record inserted (camelCase)


@attrs.frozen
class Step:
    """One entity: its operations' stem, schema, insert variables for record ``i``, the
    update (a field and its new value) and the list filter (variables)."""

    name: str
    schema: str  # "ac" or "co"
    insert: Callable[[Made, int, str], dict[str, Any]]
    update: tuple[str, Any]
    filters: Callable[[Made, str], dict[str, Any]]
    keys: tuple[str, ...]  # get arguments (camelCase) read from the inserted record
    delete_keys: tuple[str, ...] = ()
    insert_name: str = ""

    @property
    def insert_op(self) -> str:
        return self.insert_name or f"insertUpdate{self.name[0].upper()}{self.name[1:]}"

    @property
    def delete_op(self) -> str:
        return f"delete{self.name[0].upper()}{self.name[1:]}"


def _id(made: Made, entity: str, field: str) -> Any:
    return made[entity][field]


STEPS: tuple[Step, ...] = (
    Step(
        "llm",
        "ac",
        lambda m, i, run: {
            "llmProvider": f"prov-{run}",
            "llmName": f"model-{i}",
            "moduleName": "mod",
            "className": "Cls",
            "configurationSchema": {"topP": {"maxValue": 1}},
        },
        ("moduleName", "mod2"),
        lambda m, run: {"llmProvider": f"prov-{run}"},
        ("llmProvider", "llmName"),
    ),
    Step(
        "mcpServer",
        "ac",
        lambda m, i, run: {
            "mcpLabel": f"mcp-{i}",
            "mcpServerUrl": "https://mcp.example/x",
            "headers": {"Authorization": "Bearer secret-token"},
        },
        ("mcpLabel", "mcp-x"),
        lambda m, run: {},
        ("mcpServerUuid",),
    ),
    Step(
        "uiComponent",
        "ac",
        lambda m, i, run: {
            "uiComponentType": f"ui-{run}",
            "tagName": f"tag-{i}",
            "parameters": [{"paramName": "p", "isRequired": True}],
            "waitFor": "x",
        },
        ("waitFor", "y"),
        lambda m, run: {"uiComponentType": f"ui-{run}"},
        ("uiComponentType", "uiComponentUuid"),
    ),
    Step(
        "promptTemplate",
        "ac",
        lambda m, i, run: {
            "promptType": "system",
            "promptName": f"prompt-{i}",
            "templateContext": "Be {tone}. {flow_snippet}",
            "variables": [{"name": "tone", "value": "kind"}],
            "mcpServers": [{"mcpServerUuid": _id(m, "mcpServer", "mcpServerUuid")}],
            "uiComponents": [
                {
                    "uiComponentType": _id(m, "uiComponent", "uiComponentType"),
                    "uiComponentUuid": _id(m, "uiComponent", "uiComponentUuid"),
                }
            ],
        },
        ("promptDescription", "described"),
        lambda m, run: {"promptType": "system"},
        ("promptVersionUuid",),
        ("promptVersionUuid",),
    ),
    Step(
        "flowSnippet",
        "ac",
        lambda m, i, run: {
            "promptUuid": _id(m, "promptTemplate", "promptUuid"),
            "flowName": f"flow-{i}",
            "flowContext": "Say {tone}.",
            "flowRelationship": "r",
            "enabledTools": ["search"],
        },
        ("flowRelationship", "r2"),
        lambda m, run: {"promptUuid": _id(m, "promptTemplate", "promptUuid")},
        ("flowSnippetVersionUuid",),
        ("flowSnippetVersionUuid",),
    ),
    Step(
        "agent",
        "ac",
        lambda m, i, run: {
            "agentName": f"agent-{i}",
            "llmProvider": _id(m, "llm", "llmProvider"),
            "llmName": _id(m, "llm", "llmName"),
            "configuration": {"model": "gpt-x"},
            "mcpServerUuids": [_id(m, "mcpServer", "mcpServerUuid")],
            "flowSnippetVersionUuid": _id(m, "flowSnippet", "flowSnippetVersionUuid"),
            "variables": [{"name": "tone", "value": "warm"}],
            "numOfMessages": 5,
        },
        ("agentDescription", "helps"),
        lambda m, run: {"model": "gpt-x"},
        ("agentVersionUuid",),
        ("agentVersionUuid",),
    ),
    Step(
        "thread",
        "ac",
        lambda m, i, run: {
            "agentUuid": _id(m, "agent", "agentUuid"),
            "threadUuid": f"thread-{run}-{i}",
            "userId": "user-1",
        },
        ("userId", "user-1"),
        lambda m, run: {"agentUuid": _id(m, "agent", "agentUuid")},
        ("threadUuid",),
        insert_name="insertThread",
    ),
    Step(
        "run",
        "ac",
        lambda m, i, run: {
            "threadUuid": _id(m, "thread", "threadUuid"),
            "runUuid": f"run-{run}-{i}",
            "runId": f"ext-{i}",
            "completionTokens": 3,
            "promptTokens": 2,
        },
        ("completionTokens", 7),
        lambda m, run: {"threadUuid": _id(m, "thread", "threadUuid")},
        ("threadUuid", "runUuid"),
    ),
    Step(
        "message",
        "ac",
        lambda m, i, run: {
            "threadUuid": _id(m, "thread", "threadUuid"),
            "runUuid": _id(m, "run", "runUuid"),
            "role": "user",
            "message": f"hello {i}",
            "messageId": f"msg-{i}",
        },
        ("message", "edited"),
        lambda m, run: {"threadUuid": _id(m, "thread", "threadUuid")},
        ("threadUuid", "messageUuid"),
    ),
    Step(
        "toolCall",
        "ac",
        lambda m, i, run: {
            "threadUuid": _id(m, "thread", "threadUuid"),
            "runUuid": _id(m, "run", "runUuid"),
            "toolCallId": f"call-{i}",
            "toolType": "function",
            "name": "search",
            "arguments": "{}",
        },
        ("content", "found"),
        lambda m, run: {"threadUuid": _id(m, "thread", "threadUuid")},
        ("threadUuid", "toolCallUuid"),
    ),
    Step(
        "asyncTask",
        "ac",
        lambda m, i, run: {
            "functionName": f"fn-{run}",
            "arguments": {"userQuery": "q"},
            "outputFiles": [{"fileName": "a.txt"}],
        },
        ("status", "in_progress"),
        lambda m, run: {"functionName": f"fn-{run}"},
        ("functionName", "asyncTaskUuid"),
    ),
    Step(
        "fineTuningMessage",
        "ac",
        lambda m, i, run: {
            "agentUuid": _id(m, "agent", "agentUuid"),
            "messageUuid": f"ftm-{run}-{i}",
            "threadUuid": _id(m, "thread", "threadUuid"),
            "role": "user",
            "content": "c",
            "weight": 1,
            "trained": False,
            "toolCalls": [{"callId": "x"}],
        },
        ("trained", True),
        lambda m, run: {"agentUuid": _id(m, "agent", "agentUuid")},
        ("agentUuid", "messageUuid"),
    ),
    Step(
        "element",
        "ac",
        lambda m, i, run: {
            "dataType": "text",
            "elementTitle": f"el-{i}",
            "attributeName": "name",
            "attributeType": "string",
            "optionValues": [{"optionLabel": "a"}],
        },
        ("pattern", "[a-z]+"),
        lambda m, run: {"dataType": "text"},
        ("elementUuid",),
    ),
    Step(
        "wizardSchema",
        "ac",
        lambda m, i, run: {
            "wizardSchemaType": f"ws-{run}",
            "wizardSchemaName": f"schema-{i}",
            "attributes": [{"name": "a", "attributeType": "text"}],
            "attributeGroups": [{"name": "g", "label": "G"}],
        },
        ("wizardSchemaDescription", "d"),
        lambda m, run: {"wizardSchemaType": f"ws-{run}"},
        ("wizardSchemaType", "wizardSchemaName"),
    ),
    Step(
        "wizard",
        "ac",
        lambda m, i, run: {
            "wizardTitle": f"wiz-{i}",
            "wizardType": "form",
            "wizardSchemaType": _id(m, "wizardSchema", "wizardSchemaType"),
            "wizardSchemaName": _id(m, "wizardSchema", "wizardSchemaName"),
            "wizardElements": [{"elementUuid": _id(m, "element", "elementUuid")}],
            "wizardAttributes": [{"name": "n", "value": "v"}],
        },
        ("wizardDescription", "d"),
        lambda m, run: {"wizardType": "form"},
        ("wizardUuid",),
    ),
    Step(
        "wizardGroup",
        "ac",
        lambda m, i, run: {"wizardGroupName": f"group-{i}", "weight": i},
        ("wizardGroupDescription", "d"),
        lambda m, run: {},
        ("wizardGroupUuid",),
    ),
    Step(
        "wizardGroupFilter",
        "ac",
        lambda m, i, run: {
            "wizardGroupFilterName": f"filter-{i}",
            "region": "eu",
            "wizardGroupUuid": _id(m, "wizardGroup", "wizardGroupUuid"),
            "criteria": {"minAge": 3},
        },
        ("wizardGroupFilterDescription", "d"),
        lambda m, run: {"region": "eu"},
        ("wizardGroupFilterUuid",),
    ),
    Step(
        "coordination",
        "co",
        lambda m, i, run: {
            "coordinationName": f"coord-{i}",
            "agents": [
                {
                    "agentUuid": "agent-x",
                    "agentName": "x",
                    "agentDescription": "d",
                    "agentType": "task",
                }
            ],
        },
        ("coordinationDescription", "d"),
        lambda m, run: {"coordinationName": "coord"},
        ("coordinationUuid",),
    ),
    Step(
        "task",
        "co",
        lambda m, i, run: {
            "coordinationUuid": _id(m, "coordination", "coordinationUuid"),
            "taskName": f"task-{i}",
            "initialTaskQuery": "q",
            "agentActions": {},
        },
        ("taskDescription", "d"),
        lambda m, run: {"coordinationUuid": _id(m, "coordination", "coordinationUuid")},
        ("coordinationUuid", "taskUuid"),
    ),
    Step(
        "session",
        "co",
        lambda m, i, run: {
            "coordinationUuid": _id(m, "coordination", "coordinationUuid"),
            "taskUuid": _id(m, "task", "taskUuid"),
            "userId": "u",
            "taskQuery": "q",
        },
        ("taskQuery", "q2"),
        lambda m, run: {"coordinationUuid": _id(m, "coordination", "coordinationUuid")},
        ("coordinationUuid", "sessionUuid"),
    ),
    Step(
        "sessionAgent",
        "co",
        lambda m, i, run: {
            "sessionUuid": _id(m, "session", "sessionUuid"),
            "coordinationUuid": _id(m, "coordination", "coordinationUuid"),
            "agentUuid": f"agent-{i}",
        },
        ("notes", "n"),
        lambda m, run: {"sessionUuid": _id(m, "session", "sessionUuid")},
        ("sessionUuid", "sessionAgentUuid"),
    ),
    Step(
        "sessionRun",
        "co",
        lambda m, i, run: {
            "sessionUuid": _id(m, "session", "sessionUuid"),
            "runUuid": f"srun-{run}-{i}",
            "threadUuid": "t",
            "agentUuid": "a",
            "coordinationUuid": _id(m, "coordination", "coordinationUuid"),
            "asyncTaskUuid": "at",
        },
        ("threadUuid", "t2"),
        lambda m, run: {"sessionUuid": _id(m, "session", "sessionUuid")},
        ("sessionUuid", "runUuid"),
        ("sessionUuid", "runUuid", "coordinationUuid"),
    ),
    Step(
        "taskSchedule",
        "co",
        lambda m, i, run: {
            "taskUuid": _id(m, "task", "taskUuid"),
            "coordinationUuid": _id(m, "coordination", "coordinationUuid"),
            "schedule": "0 * * * *",
        },
        ("schedule", "5 * * * *"),
        lambda m, run: {"taskUuid": _id(m, "task", "taskUuid")},
        ("taskUuid", "scheduleUuid"),
    ),
)

SCHEMAS = {"ac": build_agent_core_schema, "co": build_coordination_schema}


def document(step: Step, operation: str, kind: str) -> str:
    return generate_operation(operation, kind, SCHEMAS[step.schema]())


def fresh_run() -> str:
    return uuid.uuid4().hex[:8]


def key_of(record: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: record[name] for name in names}


def answered(answer: dict[str, Any]) -> dict[str, Any]:
    """The data of an answer that must have no errors."""
    assert "errors" not in answer, answer["errors"]
    data: dict[str, Any] = answer["data"]
    return data


BY_NAME = {step.name: step for step in STEPS}


async def build_agents(client, tenant, run, count: int) -> dict:
    """An llm, an MCP server, a UI component, a template, a snippet and ``count`` agents."""
    made: dict = {}
    for name in ("llm", "mcpServer", "uiComponent", "promptTemplate", "flowSnippet"):
        step = BY_NAME[name]
        answer = await client(
            step.schema,
            document(step, step.insert_op, "Mutation"),
            {**step.insert(made, 0, run), "updatedBy": "a"},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
        )
        made[name] = answered(answer)[step.insert_op][name]
    step = BY_NAME["agent"]
    for i in range(count):
        answer = await client(
            "ac",
            document(step, step.insert_op, "Mutation"),
            {**step.insert(made, i, run), "updatedBy": "a"},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
        )
        made.setdefault("agent", answered(answer)[step.insert_op]["agent"])
    return made
