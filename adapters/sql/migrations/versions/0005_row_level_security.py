"""Row-level security on PostgreSQL: the second wall between tenants (SQLite has none).

Every table of tenant records admits only the rows whose ``partition_key`` is the
transaction's tenant (the setting ``aace.tenant``), or every row in operator mode
(``aace.operator = on``); the setting is made by the adapter inside each transaction
(``adapters/sql/scope.py``). The registries are readable by every tenant (and lockable, so a
tenant's write may require one) and written in operator mode only; the migration tool's
state is the operator's alone. Policies are enabled and forced, so the tables' owner is held
to them too (a superuser, or a role with BYPASSRLS, is not: the application must not connect
as one; see docs/row-level-security.md).

``aace_key_taken(table, hash value, range value)`` tells whether any tenant's row holds a
key (the table's primary key, read from the catalog), and nothing else: a write refused
because another tenant owns the key says ``Conflict``, as on every backend. Only the roles
``aace init --app-role`` grants may call it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from importlib import import_module

from alembic import op

from aace.adapters.sql.migrations import table_name

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

#: The revisions before this one: their tables are the ones this revision guards.
EARLIER = (
    "0001_initial",
    "0002_fine_tuning_and_registries",
    "0003_usage_metering",
    "0004_migration_state",
)
#: Platform registries: every tenant reads them, the operator writes them.
REGISTRIES = ("llms", "ui_components", "wizard_schemas")
#: Tables only the operator reads or writes.
OPERATOR_TABLES = ("migration_state",)
#: Tables of tenant records (each has ``partition_key``): every other table so far.
TENANT_TABLES = tuple(
    table
    for revision in EARLIER
    for table in import_module(f"aace.adapters.sql.migrations.versions.{revision}").TABLES
    if table not in REGISTRIES + OPERATOR_TABLES
)

OPERATOR = "current_setting('aace.operator', true) = 'on'"
TENANT = f"(partition_key = current_setting('aace.tenant', true) OR {OPERATOR})"

#: Policies by kind: (name, command, USING, WITH CHECK).
POLICIES: dict[tuple[str, ...], list[tuple[str, str, str | None, str | None]]] = {
    TENANT_TABLES: [("aace_tenant", "ALL", TENANT, TENANT)],
    REGISTRIES: [
        ("aace_read", "SELECT", "true", None),
        ("aace_lock", "UPDATE", "true", OPERATOR),  # FOR SHARE needs it; writes don't pass
        ("aace_insert", "INSERT", None, OPERATOR),
        ("aace_delete", "DELETE", OPERATOR, None),
    ],
    OPERATOR_TABLES: [("aace_operator", "ALL", OPERATOR, OPERATOR)],
}

KEY_TAKEN = """
CREATE OR REPLACE FUNCTION aace_key_taken(table_name text, hash_value text, range_value text)
RETURNS boolean LANGUAGE plpgsql STABLE SET aace.operator = 'on' AS $$
DECLARE
    key_columns name[];
    taken boolean;
BEGIN
    SELECT array_agg(a.attname ORDER BY k.ord) INTO key_columns
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = to_regclass(quote_ident(table_name)) AND i.indisprimary;
    IF array_length(key_columns, 1) IS DISTINCT FROM 2 THEN
        RAISE EXCEPTION 'aace_key_taken: % has no primary key of two columns', table_name;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1 AND %I = $2)',
                   table_name, key_columns[1], key_columns[2])
        INTO taken USING hash_value, range_value;
    RETURN taken;
END
$$
"""
#: Only the roles ``aace init --app-role`` grants may call it.
KEY_TAKEN_GRANTS = "REVOKE EXECUTE ON FUNCTION aace_key_taken(text, text, text) FROM PUBLIC"


def _quoted(base: str) -> str:
    return str(op.get_bind().dialect.identifier_preparer.quote(table_name(base)))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no row-level security: the adapter's own checks are the wall
    for tables, policies in POLICIES.items():
        for base in tables:
            table = _quoted(base)
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            for name, command, using, check in policies:
                clauses = f" USING ({using})" if using else ""
                clauses += f" WITH CHECK ({check})" if check else ""
                op.execute(f"CREATE POLICY {name} ON {table} FOR {command}{clauses}")
    op.execute(KEY_TAKEN)
    op.execute(KEY_TAKEN_GRANTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS aace_key_taken(text, text, text)")
    for tables, policies in POLICIES.items():
        for base in tables:
            table = _quoted(base)
            for name, *_ in policies:
                op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
