"""The unit of work: one TransactWriteItems (at most 100 actions), or one plain write.

A required record (:class:`CheckAction`) is a ``ConditionCheck`` item of the transaction,
its condition carrying the tenant's ownership as a write's does; a unit of work holding a
check alone is still sent as a transaction (of one ``ConditionCheck``), so a check is
evaluated the same way whatever else the unit holds.

A cancelled transaction is mapped action by action: a failed condition becomes the domain
error of the first action that failed (a required parent refused only for its deletion
mark is :class:`ParentBeingDeleted`, a ``NotFound`` that a create retries until the delete
has landed or been refused); a ``TransactionConflict``
(another transaction on the same items) is retried with the runner's backoff under a fresh
request token. An
unconditional delete over another tenant's record is a no-op, as in the reference: inside a
transaction it becomes a check that the record is still foreign, so the rest still lands
atomically (a round that finds a record changed hands is followed by the next at once).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio
import attrs
from botocore.exceptions import BotoCoreError, ClientError

from aace.adapters.dynamodb.conditions import MARK_ATTRIBUTES, owns
from aace.adapters.dynamodb.deletion_marks import (
    Mark,
    mark_parent,
    refuse_if_dependents,
    unmark_parent,
    with_mark,
)
from aace.adapters.dynamodb.errors import error_code, response_of, translate
from aace.adapters.dynamodb.runner import Runner
from aace.adapters.dynamodb.writes import (
    Target,
    WriteRequest,
    failure_of,
    forgiving_delete,
    still_foreign,
    write_request,
)
from aace.domain.errors import (
    AaceError,
    ConditionFailed,
    StorageUnavailable,
    TooLarge,
)
from aace.domain.ports import Repository
from aace.domain.schema import EntitySchema
from aace.domain.unit_of_work import (
    Action,
    BufferedUnitOfWork,
    CheckAction,
    DeleteAction,
    ParentBeingDeleted,
)

__all__ = ["DynamoUnitOfWork", "apply_one", "apply_transaction"]

_SINGLE = {"Put": "PutItem", "Delete": "DeleteItem", "Update": "UpdateItem"}
_RETRY_REASONS = {
    "None",
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "InternalServerError",
}
_COLLECTION_LIMIT = "item collection size (10 GB per partition key value with local indexes)"


Marks = Mapping[int, Mark]


def _request(action: Action, target: Target, mark: Mark | None) -> WriteRequest:
    operation, body = write_request(action, target)
    if isinstance(action, CheckAction):
        # A failed check brings its record back, so a deletion mark tells itself apart from a
        # missing record (:func:`_parent_being_deleted`); nothing of it reaches the caller.
        body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return (operation, body) if mark is None else with_mark((operation, body), mark)


async def apply_one(
    runner: Runner, target: Target, action: Action, mark: Mark | None = None
) -> None:
    """One action as a plain conditional write (atomic on its own)."""
    operation, request = _request(action, target, mark)
    try:
        await runner.call(_SINGLE[operation], request)
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise translate(exc, table=request["TableName"]) from exc
        if forgiving_delete(action):
            return  # another tenant's record: as for a missing one, nothing to delete
        if mark is not None:
            raise _mark_lost(action) from exc
        raise failure_of(action, target, response_of(exc).get("Item")) from exc
    except BotoCoreError as exc:
        raise translate(exc) from exc


def _mark_lost(action: Action) -> AaceError:
    return ConditionFailed(
        f"{action.schema.name} {action.key} changed while it was being deleted (its deletion "
        "mark was replaced or ran out)"
    )


def _outcome(
    actions: Sequence[Action],
    target: Target,
    reasons: list[dict[str, Any]],
    foreign: set[int],
    marks: Marks,
) -> tuple[AaceError | None, set[int]]:
    """(the error a cancellation means, or ``None`` to retry; forgiving deletes whose
    record changed hands and must flip between delete and foreign check)."""
    flips: set[int] = set()
    codes = [str(reason.get("Code", "None")) for reason in reasons]
    for number, (action, reason, code) in enumerate(zip(actions, reasons, codes, strict=False)):
        if code != "ConditionalCheckFailed":
            continue
        if forgiving_delete(action) or number in foreign:
            flips.add(number)
        elif number in marks:
            return _mark_lost(action), flips
        elif _parent_being_deleted(action, target, reason.get("Item")):
            message = f"{action.schema.name} {action.key} is being deleted"
            return ParentBeingDeleted(message), flips
        else:
            return failure_of(action, target, reason.get("Item")), flips
    for action, reason, code in zip(actions, reasons, codes, strict=False):
        if code == "ItemCollectionSizeLimitExceeded":
            message = f"{action.schema.name}: {reason.get('Message', code)}"
            return TooLarge("partition_key", message, limit=_COLLECTION_LIMIT), flips
    if all(code in _RETRY_REASONS or code == "ConditionalCheckFailed" for code in codes):
        return None, flips
    detail = ", ".join(f"{a.schema.name}: {c}" for a, c in zip(actions, codes, strict=False))
    return StorageUnavailable(f"the unit of work was cancelled ({detail})"), flips


def _parent_being_deleted(action: Action, target: Target, stored: Any) -> bool:
    """Whether a required record failed its check only for its deletion mark: it is the
    tenant's and meets the condition, so a guarded delete of it is under way, which may yet
    be refused (``HasDependents``). The child's create waits it out as SQL waits on the
    parent's row lock (:class:`ParentBeingDeleted`, a ``NotFound`` the services retry)."""
    if not isinstance(action, CheckAction) or not stored or MARK_ATTRIBUTES[1] not in stored:
        return False
    codec, _ = target(action.schema)
    return owns(action.schema, action.tenant, stored) and action.condition.holds(
        codec.decode(stored)
    )


class _Cancelled(Exception):
    """The transaction was cancelled only for reasons another round may cure."""


def _is_cancelled(error: BaseException) -> bool:
    return isinstance(error, _Cancelled)


@attrs.define
class _Rounds:
    """The rounds of one transaction: each sends every action under a fresh request token,
    with the forgiving deletes whose record is foreign (``foreign``) sent as checks."""

    runner: Runner
    target: Target
    actions: Sequence[Action]
    marks: Marks = attrs.field(factory=dict)
    foreign: set[int] = attrs.field(factory=set)
    tries: int = 0
    #: The last round found records that changed hands: the next one sends other
    #: requests for them, so it goes without a wait.
    flipped: bool = False

    def _items(self) -> list[dict[str, Any]]:
        return [
            dict([still_foreign(action, self.target)])
            if number in self.foreign and isinstance(action, DeleteAction)
            else dict([_request(action, self.target, self.marks.get(number))])
            for number, action in enumerate(self.actions)
        ]

    async def send(self) -> None:
        """One round; ``_Cancelled`` if another round may land (conflicts, throttling,
        records that changed hands)."""
        self.tries += 1
        items = self._items()
        request = {"TransactItems": items, "ClientRequestToken": str(uuid.uuid4())}
        try:
            await self.runner.call("TransactWriteItems", request)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise translate(exc, table=_tables(items)) from exc
            reasons = list(response_of(exc).get("CancellationReasons", []))
            error, flips = _outcome(self.actions, self.target, reasons, self.foreign, self.marks)
            if error is not None:
                raise error from exc
            self.foreign ^= flips
            self.flipped = bool(flips)
            raise _Cancelled from exc
        except BotoCoreError as exc:
            raise translate(exc) from exc

    async def wait(self, seconds: float) -> None:
        """Back off between rounds, except right after records changed hands."""
        if not self.flipped:
            await self.runner.sleep(seconds)


async def apply_transaction(
    runner: Runner, target: Target, actions: Sequence[Action], marks: Marks | None = None
) -> None:
    """All ``actions`` in one TransactWriteItems, or none of them."""
    rounds = _Rounds(runner, target, actions, dict(marks or {}))
    try:
        await runner.retry(_is_cancelled, rounds.send, sleep=rounds.wait)
    except _Cancelled as cancelled:
        raise StorageUnavailable(
            f"the unit of work kept conflicting with others ({rounds.tries} tries)"
        ) from cancelled.__cause__


def _tables(items: list[dict[str, Any]]) -> str:
    """The tables a TransactWriteItems request touches, for messages."""
    names = {body["TableName"] for item in items for body in item.values()}
    return ",".join(sorted(names))


class DynamoUnitOfWork(BufferedUnitOfWork):
    """Buffers actions; commits them as one transaction (a single write as one plain
    write; a single check still as a transaction). Guarded deletes mark their record
    first and look for dependents before the transaction (:mod:`.deletion_marks`)."""

    max_actions = 100

    def __init__(
        self,
        runner: Runner,
        target: Target,
        repository_of: Callable[[EntitySchema[Any]], Repository[Any]],
    ) -> None:
        super().__init__()
        self._runner = runner
        self._target = target
        self._repository_of = repository_of

    async def _apply(self, actions: Sequence[Action]) -> None:
        marks: dict[int, Mark] = {}
        try:
            await self._mark_and_look(actions, marks)
            if len(actions) == 1 and not isinstance(actions[0], CheckAction):
                await apply_one(self._runner, self._target, actions[0], marks.get(0))
            else:
                await apply_transaction(self._runner, self._target, actions, marks)
        except BaseException:
            with anyio.CancelScope(shield=True):
                for number, mark in marks.items():
                    delete = actions[number]
                    assert isinstance(delete, DeleteAction)
                    await unmark_parent(self._runner, self._target, delete, mark)
            raise

    async def _mark_and_look(self, actions: Sequence[Action], marks: dict[int, Mark]) -> None:
        """Mark every guarded delete's record, then look for their dependents (steps 1 and
        2 of :mod:`.deletion_marks`): every mark before any look, so a guard may cover
        another (its children cannot land once both records are marked); each step at most
        the runner's worker count at once (a cascade's unit holds up to 100 deletes).
        ``marks`` gets every mark placed, also when another fails (a mark being placed is
        not cancelled halfway, so none is left behind unrecorded)."""
        guarded = {
            number: action
            for number, action in enumerate(actions)
            if isinstance(action, DeleteAction) and action.guards
        }

        async def mark(number: int) -> None:
            with anyio.CancelScope(shield=True):
                marks[number] = await mark_parent(self._runner, self._target, guarded[number])

        async def look(number: int) -> None:
            await refuse_if_dependents(self._repository_of, actions, guarded[number])

        await self._each(mark, list(guarded))
        await self._each(look, list(guarded))

    async def _each(self, step: Callable[[int], Awaitable[None]], numbers: list[int]) -> None:
        """``step`` of every numbered action, at most the runner's worker count at once; the
        first domain error of a failed step is raised (:func:`_first_of`)."""
        if len(numbers) == 1:
            await step(numbers[0])
            return
        limiter = anyio.CapacityLimiter(max(1, self._runner.settings.workers))

        async def limited(number: int) -> None:
            async with limiter:
                await step(number)

        try:
            async with anyio.create_task_group() as group:
                for number in numbers:
                    group.start_soon(limited, number)
        except BaseExceptionGroup as group_error:
            raise _first_of(group_error) from None


def _first_of(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to raise for a failed group of marks and looks: a domain error (a
    dependent, a record gone) before any other, so the unit fails as it would one by one."""
    leaves: list[BaseException] = []

    def walk(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                walk(inner)
        else:
            leaves.append(error)

    walk(group)
    return next((e for e in leaves if isinstance(e, AaceError)), leaves[0])
