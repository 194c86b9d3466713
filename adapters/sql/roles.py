"""The application's PostgreSQL role: created on request, and granted what the package
needs, by ``aace init --app-role`` run as the tables' owner.

The policies of revision 0005 hold only for a role that does not bypass row-level security:
not a superuser, not ``BYPASSRLS``. Such a role is refused here. The grants:

- ``USAGE`` on the schema holding the tables (the first of the ``search_path``);
- ``SELECT, INSERT, UPDATE, DELETE`` on every aace table (no ``TRUNCATE``, no DDL);
- ``SELECT`` on the migrations' version table (a store checks its revision on start);
- ``EXECUTE`` on ``aace_key_taken``.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.database import Database
from aace.domain.errors import StorageMisconfigured, ValidationError

__all__ = ["grant_app_role"]

#: A role name this command accepts: a plain identifier (it is also quoted).
_ROLE = re.compile(r"[a-z_][a-z0-9_$]{0,62}")


async def grant_app_role(db: Database, role: str, tables: list[str], version_table: str) -> bool:
    """Create ``role`` (``LOGIN``, without a password: set one with ``ALTER ROLE``) unless it
    exists, and grant it what the package needs on ``tables``; whether it was created.
    ``ValidationError`` (field ``app_role``) for a name that is not a plain identifier, a
    role that bypasses row-level security, or a role that owns the tables (or belongs to
    their owner: it could turn the policies off); ``StorageMisconfigured`` when the role
    running this does not own the tables (PostgreSQL would grant nothing, and only warn)."""
    if db.dialect != "postgresql":
        raise ValidationError("app_role", "applies to postgresql:// stores only")
    if not isinstance(role, str) or not _ROLE.fullmatch(role):
        raise ValidationError(
            "app_role", "must be a lower-case identifier (letters, digits, _), as aace_app"
        )
    quote = db.engine.dialect.identifier_preparer.quote
    grantee = quote(role)
    names = ", ".join(quote(name) for name in tables)

    async def work(connection: AsyncConnection) -> bool:
        found = (
            await connection.execute(
                text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = :role"),
                {"role": role},
            )
        ).first()
        if found is not None and found[0]:
            raise ValidationError(
                "app_role",
                f"{role} bypasses row-level security (a superuser or BYPASSRLS): "
                "the application must connect as a role held to the policies",
            )
        await _check_owners(connection, role, tables, exists=found is not None)
        if found is None:
            await connection.execute(text(f"CREATE ROLE {grantee} LOGIN NOBYPASSRLS"))
        schema = (await connection.execute(text("SELECT current_schema()"))).scalar_one()
        statements = [
            f"GRANT USAGE ON SCHEMA {quote(schema)} TO {grantee}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {names} TO {grantee}",
            f"GRANT SELECT ON TABLE {quote(version_table)} TO {grantee}",
            f"GRANT EXECUTE ON FUNCTION aace_key_taken(text, text, text) TO {grantee}",
        ]
        for statement in statements:
            await connection.execute(text(statement))
        return found is None

    return await db.transaction(work)


async def _check_owners(
    connection: AsyncConnection, role: str, tables: list[str], *, exists: bool
) -> None:
    owned = "pg_has_role(:role, c.relowner, 'MEMBER')" if exists else "false"
    statement = text(
        "SELECT bool_and(pg_has_role(current_user, c.relowner, 'USAGE')), "
        f"bool_or({owned}), current_user FROM pg_class c WHERE c.oid IN "
        "(SELECT to_regclass(quote_ident(name)) FROM unnest(CAST(:tables AS text[])) name)"
    )
    mine, theirs, user = (
        await connection.execute(statement, {"role": role, "tables": tables})
    ).one()
    if not mine:
        raise StorageMisconfigured(
            f"{user} does not own the aace tables, so it cannot grant them",
            hint="run `aace init --app-role` as the tables' owner",
        )
    if theirs:
        raise ValidationError(
            "app_role",
            f"{role} owns the aace tables or belongs to their owner, so it could turn the "
            "policies off: the application needs a role of its own",
        )
