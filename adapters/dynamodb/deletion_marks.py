"""Guarded deletes on DynamoDB: a deletion mark on the parent item.

A transaction cannot count a parent's children, so a guarded delete works in three steps:

1. **Mark** the parent (one ``UpdateItem``, under the delete's own condition): it gets
   ``aace_deleting`` (a token) and ``aace_deleting_until`` (epoch milliseconds, now plus a
   lease). A child's creation requires its parent with a ``ConditionCheck`` that also says
   "not marked, or the mark has expired", so from now on no child of it lands.
2. **Look** for dependents (the guards' listings, at most one page each): any that the
   unit of work does not delete itself refuses the delete (``HasDependents``) and the
   mark is removed again.
3. **Delete** in the unit's transaction, on the condition that the mark is still this
   delete's and unexpired (by the deleter's clock): a child that slipped in after a lease
   ran out made the mark stale, so the delete fails (``ConditionFailed``) and a retry sees
   the child.

What it adds to the deployed layout: two attributes on a parent item (agents, threads,
runs, …) for the time a delete runs; deployed readers ignore attributes their models do
not name, and this package's codec drops them. A delete that crashes between steps leaves
the mark until its lease runs out (:data:`LEASE_SECONDS`); until then creating a child of
that parent is refused (``NotFound``); calling the delete again finishes it. Per child
create, the cost is nothing beyond the ``ConditionCheck`` that requiring a parent costs
anyway (a longer condition expression). Correct while the clocks of the processes that
write agree to within the lease.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import attrs
from botocore.exceptions import BotoCoreError, ClientError

from aace.adapters.dynamodb.conditions import MARK_ATTRIBUTES, and_clause, now_ms, write_condition
from aace.adapters.dynamodb.errors import error_code, translate
from aace.adapters.dynamodb.runner import Runner
from aace.adapters.dynamodb.writes import Target, WriteRequest
from aace.domain.errors import ConditionFailed, NotFound
from aace.domain.ports import Repository
from aace.domain.query import MAX_PAGE_SIZE
from aace.domain.schema import EntitySchema
from aace.domain.unit_of_work import Action, DeleteAction, deleted_keys

__all__ = [
    "LEASE_SECONDS",
    "Mark",
    "mark_parent",
    "refuse_if_dependents",
    "unmark_parent",
    "with_mark",
]

#: How long a deletion mark keeps children out when its delete does not finish.
LEASE_SECONDS = 30


@attrs.frozen
class Mark:
    token: str
    until_ms: int


def with_mark(request: WriteRequest, mark: Mark) -> WriteRequest:
    """The guarded delete, on the condition that the mark is still ``mark`` and unexpired."""
    operation, body = request
    and_clause(
        body,
        "#dm = :dm_token AND #dm_until > :dm_now",
        {"#dm": MARK_ATTRIBUTES[0], "#dm_until": MARK_ATTRIBUTES[1]},
        {":dm_token": {"S": mark.token}, ":dm_now": {"N": str(now_ms())}},
    )
    return operation, body


async def mark_parent(runner: Runner, target: Target, action: DeleteAction) -> Mark:
    """Step 1: mark the record ``action`` deletes (its condition must hold: else
    ``NotFound`` or ``ConditionFailed``, as the delete itself would fail)."""
    mark = Mark(str(uuid.uuid4()), now_ms() + LEASE_SECONDS * 1000)
    codec, table = target(action.schema)
    request: dict[str, Any] = {
        "TableName": table,
        "Key": codec.key(action.tenant, action.key),
        "UpdateExpression": "SET #dm = :dm_token, #dm_until = :dm_until_new",
        "ExpressionAttributeNames": {"#dm": MARK_ATTRIBUTES[0], "#dm_until": MARK_ATTRIBUTES[1]},
        "ExpressionAttributeValues": {
            ":dm_token": {"S": mark.token},
            ":dm_until_new": {"N": str(mark.until_ms)},
        },
    }
    expression = write_condition(codec, action.tenant, action.condition)
    names = dict(expression.names)
    if expression.text is None:  # an unconditional delete: the record must still be there
        names["#dm_h"] = action.schema.hash_key
    and_clause(request, expression.text or "attribute_exists(#dm_h)", names, expression.values)
    try:
        await runner.call("UpdateItem", request)
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise translate(exc, table=table) from exc
        if action.condition.equals:
            message = f"{action.schema.name} {action.key} changed since it was read"
            raise ConditionFailed(message) from exc
        raise NotFound(f"{action.schema.name} {action.key} not found") from exc
    except BotoCoreError as exc:
        raise translate(exc) from exc
    return mark


async def unmark_parent(runner: Runner, target: Target, action: DeleteAction, mark: Mark) -> None:
    """Remove this delete's mark (if it is still there); never raises."""
    codec, table = target(action.schema)
    request = {
        "TableName": table,
        "Key": codec.key(action.tenant, action.key),
        "UpdateExpression": "REMOVE #dm, #dm_until",
        "ConditionExpression": "#dm = :dm_token",
        "ExpressionAttributeNames": {"#dm": MARK_ATTRIBUTES[0], "#dm_until": MARK_ATTRIBUTES[1]},
        "ExpressionAttributeValues": {":dm_token": {"S": mark.token}},
    }
    try:
        await runner.call("UpdateItem", request)
    except Exception:  # the lease clears a mark left behind
        return


async def refuse_if_dependents(
    repository_of: Any, actions: Sequence[Action], action: DeleteAction
) -> None:
    """Step 2: ``HasDependents`` if a guard's listing holds a record the unit does not
    delete itself (reads one page per guard, more only past the unit's own deletes). A
    ``covered`` guard is not read: a wider guard of the unit reads the same records, and
    every record of the unit is marked before any is looked at, so none of their children
    lands after the look."""
    for guard in action.guards:
        if guard.covered:
            continue
        spared = deleted_keys(actions, guard.schema)
        repository: Repository[Any] = repository_of(guard.schema)
        schema: EntitySchema[Any] = guard.schema
        query = attrs.evolve(guard.query, limit=min(len(spared) + 1, MAX_PAGE_SIZE))
        while True:
            page = await repository.query(action.tenant, query)
            if any(schema.key_of(item) not in spared for item in page.items):
                raise guard.refuse(action.schema.name, action.key)
            if page.next_cursor is None:
                break
            query = attrs.evolve(query, cursor=page.next_cursor)
