"""Whom a statement acts for on PostgreSQL, where row-level security is the second wall
between tenants (revision 0005's policies; SQLite has none, see docs/row-level-security.md).

Every statement runs under a :class:`Scope`: one tenant (the policies admit that tenant's
rows), the operator (every row, in operator mode only) or nobody (registries only). The scope
is a transaction-local setting, never a session's, and costs no extra round trip:

- a read (one autocommit statement) sets it in the statement itself (:func:`scoped_sql`,
  applied to the compiled text by :func:`scope_statements`): ``SELECT * FROM (<read>) r
  WHERE (SELECT set_config(…, true)) IS NOT NULL``. PostgreSQL runs the uncorrelated
  ``set_config`` as an init plan, checked as a one-time filter by the top node before the
  read below it starts, so the policies see the setting.
- a transaction sets it in the message that opens it
  (:class:`~.scoped_connection.ScopedConnection`): the driver's ``BEGIN`` and a
  ``SET LOCAL`` travel as one simple query.

``SET LOCAL`` and ``set_config(…, true)`` last until the transaction ends (an autocommit
statement is a transaction of its own), so a pooled connection carries nothing to its next
user.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
from sqlalchemy import event

from aace.domain.tenancy import current_operator

__all__ = [
    "NOBODY",
    "OPERATOR",
    "OPERATOR_SETTING",
    "SCOPE_OPTION",
    "TENANT_SETTING",
    "Scope",
    "scope_for",
    "scope_statements",
    "write_scope",
    "scoped_sql",
]

#: The transaction-local settings the policies read.
TENANT_SETTING = "aace.tenant"
OPERATOR_SETTING = "aace.operator"
#: The execution option that carries a read's :class:`Scope`.
SCOPE_OPTION = "aace_scope"


@attrs.frozen
class Scope:
    """One transaction-local setting: the tenant (``aace.tenant``) or operator mode
    (``aace.operator = on``); an empty tenant is nobody's (the registries only)."""

    setting: str
    value: str

    def prologue(self) -> str:
        """The ``SET LOCAL`` that follows ``BEGIN`` in the same simple query (a utility
        statement: no plan, no result row). The value is an escape string literal, read
        alike whatever the server's ``standard_conforming_strings``; a partition key holds
        no control character (checked by the domain)."""
        escaped = self.value.replace("\\", "\\\\").replace("'", "\\'")
        return f" SET LOCAL {self.setting} = E'{escaped}';"


OPERATOR = Scope(OPERATOR_SETTING, "on")
NOBODY = Scope(TENANT_SETTING, "")


def scope_for(tenant: str | None, *, platform: bool = False) -> Scope:
    """The scope of a statement on behalf of ``tenant`` (its text form): that tenant, except
    on a platform table in operator mode (the operator writes registries and the migration
    tool's state); without a tenant, the operator in operator mode, else nobody. Calls that
    cross tenants are refused outside operator mode before they get here (domain rules)."""
    operator = current_operator() is not None
    if tenant is not None and not (platform and operator):
        return Scope(TENANT_SETTING, tenant)
    return OPERATOR if operator else NOBODY


def write_scope(tenants: Iterable[str], *, registry: bool) -> Scope:
    """The scope of a write of records of ``tenants``: the operator when it writes a
    platform table (``registry``: its writer was checked as the write was made, in operator
    mode, so it acts as the operator wherever it commits), else :func:`scope_for` the one
    tenant (several: operator mode, refused before it gets here otherwise)."""
    if registry:
        return OPERATOR
    distinct = set(tenants)
    return scope_for(distinct.pop() if len(distinct) == 1 else None)


def scoped_sql(statement: str, setting: str, parameter: str) -> str:
    """``statement`` (one SELECT, as compiled) run after a ``set_config`` of ``setting`` to
    the value of ``parameter`` (``$n``), in one statement. The ``set_config`` is an
    uncorrelated scalar subquery in a condition that holds no column: PostgreSQL makes it
    an init plan checked as a one-time filter at the top of the plan, before any row is
    read. The read keeps its order (a subquery with ORDER BY is never merged away)."""
    return (
        f"SELECT * FROM ({statement}) AS aace_rows "
        f"WHERE (SELECT set_config('{setting}', {parameter}, true)) IS NOT NULL"
    )


def scope_statements(engine: Any) -> None:
    """Scope the reads of ``engine`` (a PostgreSQL engine's ``sync_engine``): a statement
    executed with the execution option :data:`SCOPE_OPTION` (a :class:`Scope`) is rewritten
    by :func:`scoped_sql`, its value appended to the parameters. The rewritten text is the
    same for every tenant, so the driver's prepared statements serve them all."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _scoped(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        scope = context.execution_options.get(SCOPE_OPTION) if context is not None else None
        if scope is None or many:
            return statement, parameters
        values = (*parameters, scope.value)
        return scoped_sql(statement, scope.setting, f"${len(values)}"), values
