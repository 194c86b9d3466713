"""Every persistence operation of both schemas on every adapter, with the generator's
documents (every field selected, recursively): insert -> get -> list (filter, pages 1..3,
total) -> update -> delete; the same documents under another tenant see nothing."""

from __future__ import annotations

import pytest

from tests.graphql.scenario import STEPS, document, fresh_run, key_of

pytestmark = pytest.mark.anyio


def ok(answer: dict) -> dict:
    assert "errors" not in answer, answer.get("errors")
    return answer["data"]


async def test_every_operation_end_to_end(client, tenant, other_tenant) -> None:
    run = fresh_run()
    endpoint, part = tenant.endpoint_id, tenant.part_id
    other = other_tenant.part_id

    async def call(step, op, kind, variables, *, part=part):
        return await client(
            step.schema, document(step, op, kind), variables, endpoint=endpoint, part=part
        )

    made: dict = {}
    every: dict = {}
    for step in STEPS:
        payload = step.name
        records = []
        for i in range(3):
            variables = {**step.insert(made, i, run), "updatedBy": "alice"}
            data = ok(await call(step, step.insert_op, "Mutation", variables))
            record = data[step.insert_op][payload]
            assert record is not None, step.name
            records.append(record)
            made.setdefault(step.name, record)
        first = records[0]
        every[step.name] = records
        # get: every field, and nothing for another tenant
        got = ok(await call(step, step.name, "Query", key_of(first, step.keys)))[step.name]
        assert got is not None, step.name
        assert all(got[k] == first[k] for k in step.keys), step.name
        if step.name not in ("llm", "uiComponent", "wizardSchema"):  # registries: platform's
            hidden = await call(step, step.name, "Query", key_of(first, step.keys), part=other)
            assert ok(hidden)[step.name] is None, step.name
        # list: the filter, pages 1..3 of one record, the total
        seen = []
        for page in (1, 2, 3, 4):
            variables = {**step.filters(made, run), "limit": 1, "pageNumber": page}
            listed = ok(await call(step, f"{step.name}List", "Query", variables))
            result = listed[f"{step.name}List"]
            assert result["total"] == 3, (step.name, result["total"])
            assert (result["pageSize"], result["pageNumber"]) == (1, page)
            seen.extend(result[f"{step.name}List"])
        assert len(seen) == 3, step.name
        # update: the field changes, the record is the same one
        field, value = step.update
        changed = {**key_of(first, step.delete_keys or step.keys), field: value}
        if step.name == "thread":
            changed = {"threadUuid": first["threadUuid"], "agentUuid": first["agentUuid"]}
        changed.pop("coordinationUuid", None) if step.name == "sessionRun" else None
        updated = ok(
            await call(
                step,
                step.insert_op,
                "Mutation",
                {**step.insert(made, 0, run), **changed, "updatedBy": "bob"},
            )
        )[step.insert_op][payload]
        assert updated[field] == value, (step.name, updated[field])
        for k in step.keys:
            assert updated[k] == first[k], step.name
    # deletes, children first
    for step in reversed(STEPS):
        keys = step.delete_keys or step.keys
        for record in every[step.name]:
            answer = await call(step, step.delete_op, "Mutation", key_of(record, keys))
            assert ok(answer)[step.delete_op] == {"ok": True}, (step.name, answer)
