"""Whom a statement acts for on PostgreSQL, where row-level security is the second wall
between tenants (revision 0005's policies; SQLite has none, see docs/row-level-security.md).

Every statement runs under a :class:`Scope`: one tenant (the policies admit that tenant's
rows), the operator (every row, in operator mode only) or nobody (registries only). The scope
is a transaction-local setting, never a session's, and costs no extra round trip:

- a read (one autocommit statement) sets it in the statement itself (:func:`scoped_select`):
  ``SELECT r.* FROM (SELECT set_config(…, true) AS scope OFFSET 0) s, LATERAL (<read>) r``.
  The read refers to ``s``, so PostgreSQL must run ``s`` first (a nested loop, ``s``
  outside) and the policies see the setting; ``OFFSET 0`` keeps ``s`` a subquery of its own.
- a transaction sets it in the message that opens it (:class:`ScopedConnection`): the
  driver's ``BEGIN`` and the ``set_config`` travel as one simple query.

``set_config(…, true)`` lasts until the transaction ends (an autocommit statement is a
transaction of its own), so a pooled connection carries nothing to its next user.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import attrs
from sqlalchemy import ColumnElement, Select, Text, bindparam, func, literal_column, select, true
from sqlalchemy.sql.elements import UnaryExpression

from aace.domain.tenancy import current_operator

__all__ = [
    "NOBODY",
    "OPERATOR",
    "OPERATOR_SETTING",
    "SCOPE_PARAMETER",
    "TENANT_SETTING",
    "Scope",
    "ScopedConnection",
    "scope_for",
    "scoped_select",
]

#: The transaction-local settings the policies read.
TENANT_SETTING = "aace.tenant"
OPERATOR_SETTING = "aace.operator"
#: The parameter of a scoped read that carries the setting's value.
SCOPE_PARAMETER = "aace_scope_value"
#: ``OFFSET 0`` as SQL text (a bound offset would be a parameter of its own).
_ZERO: ColumnElement[Any] = literal_column("0")


@attrs.frozen
class Scope:
    """One transaction-local setting: the tenant (``aace.tenant``) or operator mode
    (``aace.operator = on``); an empty tenant is nobody's (the registries only)."""

    setting: str
    value: str

    def prologue(self) -> str:
        """The ``set_config`` that follows ``BEGIN`` in the same simple query. The value is
        hex-encoded, so no quoting rule of the server's settings can change its meaning."""
        encoded = self.value.encode("utf-8").hex()
        return (
            f" SELECT set_config('{self.setting}', "
            f"convert_from(decode('{encoded}', 'hex'), 'UTF8'), true);"
        )


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


def _outer_order(order: ColumnElement[Any], columns: Any) -> ColumnElement[Any]:
    """An ORDER BY term of the read, on the lateral subquery's column of the same name."""
    if isinstance(order, UnaryExpression) and order.modifier is not None:
        inner = order.element
        outer: ColumnElement[Any] = columns[getattr(inner, "name", "")]
        return UnaryExpression(outer, modifier=order.modifier)
    return columns[getattr(order, "name", "")]  # type: ignore[no-any-return]


def scoped_select(statement: Select[Any], setting_name: str) -> Select[Any]:
    """``statement`` run after a ``set_config`` of ``setting_name``, in one statement (see
    the module's text); rows, column names and order are the statement's. The setting's
    value is the parameter :data:`SCOPE_PARAMETER`, so one scoped statement serves every
    tenant."""
    value = bindparam(SCOPE_PARAMETER, type_=Text())
    name = literal_column(f"'{setting_name}'", Text())  # one of this module's constants
    setting = func.set_config(name, value, true()).label("scope")
    first = select(setting).offset(_ZERO).subquery("aace_scope")
    read = statement.where(first.c.scope.is_not(None)).offset(_ZERO).lateral("r")
    outer = select(read).select_from(first).join(read, true())
    orders = statement._order_by_clauses
    if orders:
        outer = outer.order_by(*(_outer_order(o, read.c) for o in orders))
    return outer


class ScopedConnection(asyncpg.Connection):  # type: ignore[misc]
    """The asyncpg connection of a PostgreSQL store: the next ``BEGIN`` it sends carries the
    scope set by :meth:`begin_as` (one simple query, so no extra round trip)."""

    _aace_scope: Scope | None = None

    def begin_as(self, scope: Scope | None) -> None:
        """Make the next ``BEGIN`` set ``scope`` (``None``: clear a scope not yet used)."""
        self._aace_scope = scope

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109 - asyncpg's signature
        scope = self._aace_scope
        if scope is not None and not args and query.startswith("BEGIN"):
            self._aace_scope = None
            query = query + scope.prologue()
        result: str = await super().execute(query, *args, timeout=timeout)
        return result
