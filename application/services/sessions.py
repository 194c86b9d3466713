"""Sessions and their agent graph (services.md, "Coordination engine"): status moves, the
iteration cap and the log of a session; the session agents' state machine, ``start``,
``ready`` and ``complete``, whose decrements of successors' ``in_degree`` commit with the
state change, so concurrent completions never lose or double one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from aace.application.services.arguments import (
    Actor,
    Id,
    JsonValue,
    OptionalId,
    Text,
    checked_entry_points,
)
from aace.application.services.contention import commit_or_lose, settle
from aace.application.services.entity import EntityService, ServiceSpec
from aace.application.services.listing import Listing, eq, listing_query, nested, one_of
from aace.domain.coordination_rules import format_subtask_query, predecessor_count
from aace.domain.entities import (
    COORDINATIONS,
    SESSION_AGENTS,
    SESSIONS,
    TASKS,
    Session,
    SessionAgent,
)
from aace.domain.fields import utc_now
from aace.domain.ports import ABSENT, Condition, read_all
from aace.domain.session_rules import (
    READY_STATES,
    SESSION_AGENT_RULES,
    SESSION_RULES,
    check_finishable,
    check_unstarted,
    dispatched,
    iterated,
    logged,
    planned_agents,
    session_from_task,
    state_after_user_input,
    takes_a_predecessor,
    task_key,
)
from aace.domain.tenancy import TenantContext

__all__ = ["SessionAgentService", "SessionService"]


def _unchanged(record: Any) -> Condition:
    return Condition.present(updated_at=record.updated_at)


@checked_entry_points
class SessionService(EntityService[Session]):
    """Sessions of a coordination. ``status`` moves ``initial → dispatched → in_progress →
    completed | failed | timeout`` (``active`` and ``in_transit`` count as ``initial``);
    ``iteration_count`` changes through :meth:`next_iteration` and ``logs`` through
    :meth:`append_log` only. A session of a task starts with the task's subtask queries and
    initial query unless given."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        SESSIONS,
        Listing(
            {
                "coordination_uuid": eq("coordination_uuid"),
                "task_uuid": eq("task_uuid"),
                "user_id": eq("user_id"),
                "statuses": one_of("status"),
            },
            order=None,
        ),
        managed=frozenset({"iteration_count", "logs"}),
        rules=SESSION_RULES,
        completes_on=frozenset(),  # a session takes from its task when created only
    )

    async def _complete(self, context: Any, entity: Session) -> Session:
        """Read the session's task when it takes something from it."""
        key = task_key(entity)
        if key is None:
            return entity
        task = await self._store.repository(TASKS).get(context.partition_key, key)
        return session_from_task(entity, task)

    async def next_iteration(
        self, context: TenantContext, coordination_uuid: Id, session_uuid: Id
    ) -> Session:
        """One more iteration; at the configured maximum (``max_session_iterations``) the
        session is ``failed`` instead, with the reason in its logs."""
        most = self._settings.max_session_iterations

        def step(session: Session) -> dict[str, Any]:
            return iterated(session, most)

        return await self._step(context, (coordination_uuid, session_uuid), step)

    async def append_log(
        self,
        context: TenantContext,
        coordination_uuid: Id,
        session_uuid: Id,
        entry: JsonValue,
        *,
        status: OptionalId = None,
    ) -> Session:
        """Add ``entry`` (any JSON value) to the session's ``logs``, a JSON list; with
        ``status``, move the session there in the same write (``failed`` with its reason)."""

        def step(session: Session) -> dict[str, Any]:
            return logged(session, entry, status)

        return await self._step(context, (coordination_uuid, session_uuid), step)

    async def _step(self, context: TenantContext, key: tuple[str, str], step: Any) -> Session:
        """Read, change as ``step`` says, write on the condition nothing changed meanwhile."""

        async def attempt() -> Session:
            current = await self._records.get(context.partition_key, key)
            changed = self._apply(context, current, step(current))
            uow = self._store.unit_of_work()
            uow.put(changed, condition=_unchanged(current))
            await commit_or_lose(uow)
            return changed

        return await settle(self._contention, attempt, f"session {key[1]}")


@checked_entry_points
class SessionAgentService(EntityService[SessionAgent]):
    """The agents of a session. ``state`` moves ``initial → executing →
    wait_for_user_input | pending | completed | failed`` (``pending`` and
    ``wait_for_user_input`` go on to ``completed`` or ``failed``); a move to ``completed``
    is :meth:`complete`'s alone, and ``in_degree`` is the package's."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        SESSION_AGENTS,
        Listing(
            {
                "session_uuid": eq("session_uuid"),
                "coordination_uuid": eq("coordination_uuid"),
                "agent_uuid": eq("agent_uuid"),
                "primary_path": nested("agent_action", "primary_path"),
                "user_in_the_loop": nested("agent_action", "user_in_the_loop"),
                "successors_of": nested("agent_action", "predecessors", in_list=True),
                "agent_uuid_in": one_of("agent_uuid"),
                "in_degree": eq("in_degree"),
                "states": one_of("state"),
            },
            order=None,
        ),
        managed=frozenset({"in_degree"}),
        rules=SESSION_AGENT_RULES,
    )

    async def start(
        self, context: TenantContext, coordination_uuid: Id, session_uuid: Id
    ) -> list[SessionAgent]:
        """Create the session's agents: one per task agent of the coordination and subtask
        query naming it, with the task's ``agent_actions`` over the defaults and
        ``in_degree`` the number of its predecessors in the session; the subtask queries are
        formatted with the session's ``task_query`` (when a JSON object) and record their
        ``session_agent_uuid``. One unit of work with the session's update
        (``TransactionTooLarge`` before anything is written when the graph is larger)."""
        tenant = context.partition_key
        sessions = self._store.repository(SESSIONS)
        session = await sessions.get(tenant, (coordination_uuid, session_uuid))
        check_unstarted(session)
        coordination = await self._store.repository(COORDINATIONS).get(
            tenant, (coordination_uuid,)
        )
        actions: Mapping[str, Any] = {}
        if session.task_uuid is not None:
            task = await self._store.repository(TASKS).get(
                tenant, (coordination_uuid, session.task_uuid)
            )
            actions = task.agent_actions
        queries = [dict(q) for q in session.subtask_queries if isinstance(q, Mapping)]
        created: list[SessionAgent] = []
        for agent_uuid, number in planned_agents(coordination.agents, queries):
            agent = self._build_plain(
                context,
                {
                    "session_uuid": session_uuid,
                    "coordination_uuid": coordination_uuid,
                    "agent_uuid": agent_uuid,
                    "agent_action": actions.get(agent_uuid),
                },
            )
            query = queries[number]
            query["subtask_query"] = format_subtask_query(
                query.get("subtask_query"), session.task_query
            )
            query["session_agent_uuid"] = agent.session_agent_uuid
            created.append(agent)
        everyone = [a.agent_uuid for a in created]
        created = [
            attrs.evolve(a, in_degree=predecessor_count(a.agent_action or {}, everyone))
            for a in created
        ]
        uow = self._store.unit_of_work()
        for agent in created:
            uow.put(agent, condition=ABSENT)
        uow.put(self._session_with(context, session, queries), condition=_unchanged(session))
        await commit_or_lose(uow)
        return created

    def _session_with(self, context: TenantContext, session: Session, queries: Any) -> Session:
        """The session with its enriched queries, ``dispatched`` if it was still open."""
        return attrs.evolve(
            session,
            subtask_queries=queries,
            status=dispatched(session.status),
            updated_at=utc_now(),
            updated_by=context.updated_by,
        )

    async def ready(self, context: Actor, session_uuid: Id) -> list[SessionAgent]:
        """The session agents that may run now: ``in_degree`` 0, state ``initial`` or
        ``pending``."""
        return await self._all(
            context, session_uuid=session_uuid, in_degree=0, states=list(READY_STATES)
        )

    async def begin(
        self, context: TenantContext, session_uuid: Id, session_agent_uuid: Id, agent_input: Text
    ) -> SessionAgent:
        """Move the agent to ``executing`` with its ``agent_input``."""
        changes = {"state": "executing", "agent_input": agent_input}
        return await self.update(context, session_uuid, session_agent_uuid, changes)

    async def complete(
        self, context: TenantContext, session_uuid: Id, session_agent_uuid: Id, agent_output: Text
    ) -> SessionAgent:
        """Set ``completed`` with ``agent_output`` (from any state but ``completed`` and
        ``failed``) and take one from the ``in_degree`` of every session agent it precedes
        (never below 0), in one unit of work conditioned on what was read: concurrent
        completions retry and never lose a decrement; completing twice is
        ``ValidationError`` and decrements nothing."""
        changes = {"state": "completed", "agent_output": agent_output}
        return await self._finish(context, (session_uuid, session_agent_uuid), changes)

    async def provide_user_input(
        self, context: TenantContext, session_uuid: Id, session_agent_uuid: Id, user_input: Text
    ) -> SessionAgent:
        """The user's answer to an agent in ``wait_for_user_input``: it becomes ``pending``
        when it has an action function to run, else ``completed`` (its successors'
        ``in_degree`` lowered in the same unit of work)."""
        key = (session_uuid, session_agent_uuid)
        current = await self._records.get(context.partition_key, key)
        changes = {"state": state_after_user_input(current), "user_input": user_input}
        if changes["state"] == "pending":
            return await self.update(
                context, *key, changes, expected_updated_at=current.updated_at
            )
        return await self._finish(context, key, changes)

    async def _finish(
        self, context: TenantContext, key: tuple[str, str], changes: Mapping[str, Any]
    ) -> SessionAgent:
        """Write ``changes`` (to ``completed``) and lower the successors' ``in_degree``."""
        tenant = context.partition_key
        session_uuid = key[0]

        async def attempt() -> SessionAgent:
            current = await self._records.get(tenant, key)
            check_finishable(current)
            done = self._apply(context, current, changes)
            successors = await self._all(
                context, session_uuid=session_uuid, successors_of=current.agent_uuid
            )
            uow = self._store.unit_of_work()
            uow.put(done, condition=_unchanged(current))
            for successor in successors:
                if takes_a_predecessor(successor, current):
                    lowered = self._apply(context, successor, {})
                    lowered = attrs.evolve(lowered, in_degree=successor.in_degree - 1)
                    uow.put(lowered, condition=_unchanged(successor))
            await commit_or_lose(uow)
            return done

        return await settle(self._contention, attempt, f"session agent {key[1]}")

    async def _all(self, context: Actor, **filters: Any) -> list[SessionAgent]:
        """Every session agent the keyword filters admit (all pages)."""
        query = listing_query(self.schema, self.spec.listing, filters)
        return await read_all(self._records, self._tenant(context), query)
