"""The ``aace`` command: prepare a store, run the multi-tenant demo.

Errors print one line, ``aace: error: <what>; <what to do>``, and exit with 2 for a usage or
settings error and 1 for a failure at run time; a user's error never prints a traceback.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import warnings
from collections.abc import Sequence
from typing import Annotated, Any

import attrs
import typer

from aace.adapters.config import scheme_of
from aace.application.container import open_store
from aace.application.demo import run_demo
from aace.application.migration.cli import copy_command, migrate_app, tenant_app
from aace.application.settings import Settings
from aace.application.storage import redacted
from aace.domain.errors import AaceError, ValidationError
from aace.domain.ports import Store

__all__ = ["app", "main", "redacted"]

USAGE, FAILURE = 2, 1

app = typer.Typer(
    help="aace-core: multi-tenant persistence for AI-agent platforms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

StorageOption = Annotated[
    str | None,
    typer.Option(
        "--storage",
        help="memory://, sqlite:///file.db, postgresql+asyncpg://…, dynamodb://host:port?region=…"
        " (default: AACE_STORAGE_URL, the config file, then sqlite:///aace.db)",
        show_default=False,
    ),
]


@app.callback()
def configure(
    context: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", help="a TOML settings file (default: AACE_CONFIG)"),
    ] = None,
) -> None:
    """Settings come from the options, then AACE_* variables, then the TOML file."""
    context.obj = config


def _settings(context: typer.Context, storage: str | None, **extra: Any) -> Settings:
    overrides: dict[str, Any] = {"storage_url": storage} if storage else {}
    settings = Settings.load(config=context.obj, **overrides, **extra)
    if not settings.cursor_secret:  # these commands never hand a cursor to another process
        settings = attrs.evolve(settings, cursor_secret=secrets.token_bytes(32))
    return settings


def _dynamodb_options(
    billing_mode: str | None,
    read_capacity: int | None,
    write_capacity: int | None,
    point_in_time_recovery: bool,
    deletion_protection: bool,
    stream: str | None,
) -> dict[str, str]:
    given = {
        "billing_mode": billing_mode,
        "read_capacity": read_capacity,
        "write_capacity": write_capacity,
        "point_in_time_recovery": "true" if point_in_time_recovery else None,
        "deletion_protection": "true" if deletion_protection else None,
        "stream": stream,
    }
    return {name: str(value) for name, value in given.items() if value is not None}


@app.command()
def init(
    context: typer.Context,
    storage: StorageOption = None,
    billing_mode: Annotated[
        str | None, typer.Option(help="DynamoDB: PAY_PER_REQUEST (default) or PROVISIONED")
    ] = None,
    read_capacity: Annotated[int | None, typer.Option(help="DynamoDB, provisioned")] = None,
    write_capacity: Annotated[int | None, typer.Option(help="DynamoDB, provisioned")] = None,
    point_in_time_recovery: Annotated[
        bool, typer.Option("--point-in-time-recovery", help="DynamoDB: continuous backups")
    ] = False,
    deletion_protection: Annotated[
        bool, typer.Option("--deletion-protection", help="DynamoDB: refuse DeleteTable")
    ] = False,
    stream: Annotated[
        str | None,
        typer.Option(help="DynamoDB: NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE or KEYS_ONLY"),
    ] = None,
    app_role: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL, run as the tables' owner: create this role unless it exists "
            "and grant it the aace tables (the role the application connects as)"
        ),
    ] = None,
) -> None:
    """Prepare the store: run SQL migrations or create the DynamoDB tables."""
    settings = _settings(context, storage, initialize="create")
    options = _dynamodb_options(
        billing_mode,
        read_capacity,
        write_capacity,
        point_in_time_recovery,
        deletion_protection,
        stream,
    )
    if options and scheme_of(settings.storage_url) != "dynamodb":
        raise ValidationError(
            "--" + next(iter(options)).replace("_", "-"), "applies to dynamodb:// stores only"
        )
    if app_role is not None and scheme_of(settings.storage_url) != "postgresql":
        raise ValidationError("app_role", "applies to postgresql:// stores only")
    settings = attrs.evolve(settings, store_options={**settings.store_options, **options})

    async def prepare() -> str:
        store = await open_store(attrs.evolve(settings, cache_url=None))
        try:
            return "" if app_role is None else await _grant(store, app_role)
        finally:
            await store.close()

    granted = asyncio.run(prepare())
    typer.echo(f"ready: {redacted(settings.storage_url)}{granted}")


async def _grant(store: Store, role: str) -> str:
    from aace.adapters.sql.store import SqlStore

    assert isinstance(store, SqlStore)  # a postgresql:// URL, checked by the caller
    created = await store.grant_app_role(role)
    return f" (role {role} {'created and ' if created else ''}granted the aace tables)"


@app.command()
def demo(
    context: typer.Context,
    storage: Annotated[
        str,
        typer.Option("--storage", envvar="AACE_STORAGE_URL", help="where the demo writes"),
    ] = "sqlite:///aace-demo.db",
) -> None:
    """Two tenants, agents with versions, coordinations with tasks: each sees only its own."""
    asyncio.run(run_demo(_settings(context, storage)))


@app.command()
def serve(
    context: typer.Context,
    storage: StorageOption = None,
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="the port")] = 8000,
    operator: Annotated[
        bool,
        typer.Option(
            "--operator",
            help="callers may write the platform registries and read MCP credentials"
            " (off: an open port refuses both)",
        ),
    ] = False,
) -> None:
    """Serve the platform's GraphQL API (both schemas, one store): POST
    /{endpoint_id}/ai_agent_core_graphql and /{endpoint_id}/ai_coordination_graphql, the
    tenant's part from the Part-Id header; GET /health. Needs the graphql extra."""
    try:
        from aace.graphql.serve import run
    except ImportError as error:
        _fail(
            f"aace serve needs the graphql extra ({error.name} is missing)",
            "pip install 'aace-core[graphql]'",
            USAGE,
        )
        return
    run(_settings(context, storage), host=host, port=port, operator=operator)


app.add_typer(migrate_app, name="migrate")
app.add_typer(tenant_app, name="tenant")
app.command("copy")(copy_command)

secrets_app = typer.Typer(
    help="Secrets at rest: seal them under the first of AACE_SECRET_KEYS, count them.",
    no_args_is_help=True,
)
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("rotate")
def secrets_rotate(
    context: typer.Context,
    storage: StorageOption = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="records per page")] = 100,
    restart: Annotated[
        bool, typer.Option("--restart", help="start over instead of resuming")
    ] = False,
) -> int:
    """Seal every secret under the first key (resumable; run it again after a stop)."""
    from aace.application.secrets_commands import secrets_rotate as rotate

    return rotate(_settings(context, storage), page_size=page_size, restart=restart)


@secrets_app.command("status")
def secrets_status_command(context: typer.Context, storage: StorageOption = None) -> None:
    """How many records hold secrets under which key id, and how many in clear."""
    from aace.application.secrets_commands import secrets_status_lines

    for line in secrets_status_lines(_settings(context, storage)):
        typer.echo(line)


def _fail(message: str, hint: str, code: int) -> None:
    if message:  # empty when the help was shown instead (``aace`` alone)
        print(f"aace: error: {message}; {hint}", file=sys.stderr)
    raise SystemExit(code)


def _warn(message: Warning | str, *_: object, **__: object) -> None:
    print(f"aace: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: run a command, turning errors into one line and an exit code."""
    warnings.showwarning = _warn
    try:
        result = app(args=argv, prog_name="aace", standalone_mode=False)
    except typer.Abort:
        _fail("interrupted", "nothing more was done", FAILURE)
    except typer.TyperException as exc:  # a usage error: unknown option, bad value, …
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "aace"
        message = getattr(exc, "format_message", exc.__str__)()
        _fail(message, f"see '{command} --help'", getattr(exc, "exit_code", USAGE))
    except ValidationError as exc:
        _fail(str(exc), exc.hint or "correct that setting or option and run it again", USAGE)
    except AaceError as exc:
        _fail(str(exc), exc.hint or "see the message above", FAILURE)
    if isinstance(result, int) and result:
        raise SystemExit(result)


if __name__ == "__main__":
    main()
