"""With keys, MCP servers' headers are sealed at rest on every adapter (behaviour.md §11):
the token's bytes appear nowhere in the raw store nor in any log at DEBUG (drivers
included), while ``credentials()`` returns them; an unknown key id and a moved envelope
are typed errors; clear records written earlier are read, and sealed on their next write."""

from __future__ import annotations

import base64

import attrs
import pytest

from aace.domain.entities import IDEMPOTENCY, MCP_SERVERS
from aace.domain.errors import ValidationError
from aace.domain.ports import ANY, Store
from aace.domain.secrets import SecretMoved, UnknownSecretKey, is_envelope, key_id_of
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.factories import sample
from tests.secrets.conftest import Token, new_key, server_input, services
from tests.secrets.raw import everything_logged, raw_bytes

pytestmark = pytest.mark.anyio


async def test_the_token_is_nowhere_in_the_raw_store_nor_in_any_debug_log(
    store: Store, context: TenantContext, request: pytest.FixtureRequest
) -> None:
    first, second = Token(), Token()
    app = services(store, new_key())
    with everything_logged() as lines:
        view = await app.mcp_servers.create(
            context, server_input(first), idempotency_key=f"idem-{first.value[:8]}"
        )
        uuid = view.mcp_server_uuid
        assert await app.mcp_servers.credentials(context, uuid) == first.headers
        await app.mcp_servers.update(context, uuid, {"mcp_label": "renamed"})
        await app.mcp_servers.update(context, uuid, {"headers": second.headers})
        assert await app.mcp_servers.credentials(context, uuid) == second.headers
        await app.mcp_servers.list(context)
        await app.mcp_servers.get(context, uuid)
    if store.adapter != "memory":  # memory logs nothing; the drivers do
        assert lines, "the capture saw nothing: it is vacuous"
    held = raw_bytes(store, request)
    assert uuid.encode() in held, "the raw read missed the table"
    for token in (first, second):
        assert not token.in_bytes(held)
        assert not token.in_text(lines)
    stored = await store.repository(MCP_SERVERS).get(context.partition_key, (uuid,))
    assert is_envelope(stored.headers)
    remembered = await store.repository(IDEMPOTENCY).get(
        context.partition_key, (f"idem-{first.value[:8]}",)
    )
    assert first.value not in repr(attrs.asdict(remembered))


async def test_without_keys_headers_are_stored_as_given(
    store: Store, context: TenantContext
) -> None:
    token = Token()
    app = services(store)
    view = await app.mcp_servers.create(context, server_input(token))
    stored = await store.repository(MCP_SERVERS).get(
        context.partition_key, (view.mcp_server_uuid,)
    )
    assert stored.headers == token.headers
    assert await app.mcp_servers.credentials(context, view.mcp_server_uuid) == token.headers


async def test_a_clear_record_written_earlier_is_read_then_sealed_on_its_next_write(
    store: Store, tenant: PartitionKey, context: TenantContext
) -> None:
    token = Token()
    clear = sample(MCP_SERVERS, tenant, headers=token.headers)
    repo = store.repository(MCP_SERVERS)
    await repo.put(clear)
    key = MCP_SERVERS.key_of(clear)
    app = services(store, new_key())
    assert await app.mcp_servers.credentials(context, *key) == token.headers
    await app.mcp_servers.update(context, *key, {"mcp_label": "touched"})
    assert is_envelope((await repo.get(tenant, key)).headers)
    assert await app.mcp_servers.credentials(context, *key) == token.headers


async def test_an_unknown_key_id_is_a_typed_error_naming_it(
    store: Store, context: TenantContext
) -> None:
    gone = new_key()
    view = await services(store, gone).mcp_servers.create(context, server_input(Token()))
    gone_id = key_id_of(base64.urlsafe_b64decode(gone))
    with pytest.raises(UnknownSecretKey) as raised:
        await services(store, new_key()).mcp_servers.credentials(context, view.mcp_server_uuid)
    assert raised.value.key_id == gone_id
    assert gone_id in str(raised.value)
    with pytest.raises(UnknownSecretKey):
        await services(store).mcp_servers.credentials(context, view.mcp_server_uuid)


async def test_an_envelope_moved_to_another_record_is_a_typed_error_never_a_value(
    store: Store, tenant: PartitionKey, context: TenantContext
) -> None:
    key = new_key()
    app = services(store, key)
    token = Token()
    source = await app.mcp_servers.create(context, server_input(token, "source"))
    target = await app.mcp_servers.create(context, server_input(Token(), "target"))
    repo = store.repository(MCP_SERVERS)
    stolen = (await repo.get(tenant, (source.mcp_server_uuid,))).headers
    victim = await repo.get(tenant, (target.mcp_server_uuid,))
    await repo.put(attrs.evolve(victim, headers=stolen), condition=ANY)
    with pytest.raises(SecretMoved) as raised:
        await app.mcp_servers.credentials(context, target.mcp_server_uuid)
    assert token.value not in str(raised.value)
    altered = dict(stolen)
    sealed = bytearray(base64.urlsafe_b64decode(altered["aace:ciphertext"]))
    sealed[0] ^= 0x01  # always a change (replacing a character could leave it as it was)
    altered["aace:ciphertext"] = base64.urlsafe_b64encode(bytes(sealed)).decode()
    assert altered != stolen
    own = await repo.get(tenant, (source.mcp_server_uuid,))
    await repo.put(attrs.evolve(own, headers=altered), condition=ANY)
    with pytest.raises(SecretMoved):
        await app.mcp_servers.credentials(context, source.mcp_server_uuid)


async def test_a_caller_cannot_give_headers_shaped_as_an_envelope(
    store: Store, context: TenantContext
) -> None:
    app = services(store, new_key())
    forged = {"mcp_label": "x", "mcp_server_url": "https://x", "headers": {"aace:key": "k"}}
    with pytest.raises(ValidationError) as raised:
        await app.mcp_servers.create(context, forged)
    assert raised.value.field == "headers"
    server = await app.mcp_servers.create(context, {**forged, "headers": {"A": "b"}})
    with pytest.raises(ValidationError) as raised:
        await app.mcp_servers.update(
            context, server.mcp_server_uuid, {"headers": {"aace:envelope": "1"}}
        )
    assert raised.value.field == "headers"


async def test_an_envelope_moved_to_another_tenants_record_of_the_same_uuid_never_opens(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    """A database writer copies tenant A's stored headers into tenant B's server that B
    created with A's uuid (a caller-chosen id): B's ``credentials`` is a typed error."""
    key = new_key()
    app = services(store, key)
    owner, other = TenantContext(tenant), TenantContext(other_tenant)
    token = Token()
    source = await app.mcp_servers.create(owner, server_input(token))
    uuid = source.mcp_server_uuid
    await app.mcp_servers.create(other, server_input(Token()), id=uuid)
    repo = store.repository(MCP_SERVERS)
    stolen = (await repo.get(tenant, (uuid,))).headers
    copy = await repo.get(other_tenant, (uuid,))
    await repo.put(attrs.evolve(copy, headers=stolen), condition=ANY)
    with pytest.raises(SecretMoved) as raised:
        await app.mcp_servers.credentials(other, uuid)
    assert token.value not in str(raised.value)
    assert await app.mcp_servers.credentials(owner, uuid) == token.headers


async def test_errors_about_a_stored_envelope_never_echo_what_it_holds(
    store: Store, tenant: PartitionKey, context: TenantContext
) -> None:
    """A damaged envelope's format and an unknown key id come from the database: the errors
    show neither the format's value nor more than a short, printable head of the key id."""
    app = services(store, new_key())
    token = Token()
    view = await app.mcp_servers.create(context, server_input(Token()))
    repo = store.repository(MCP_SERVERS)
    own = await repo.get(tenant, (view.mcp_server_uuid,))
    for damaged, error in (
        ({**own.headers, "aace:envelope": token.value}, SecretMoved),
        ({**own.headers, "aace:key": f"k1-{token.value}\n{'x' * 300}"}, UnknownSecretKey),
    ):
        await repo.put(attrs.evolve(own, headers=damaged), condition=ANY)
        with pytest.raises(error) as raised:
            await app.mcp_servers.credentials(context, view.mcp_server_uuid)
        shown = f"{raised.value} {raised.value!r} {vars(raised.value)}"
        assert token.value not in shown
        assert "\n" not in shown
        assert "x" * 40 not in shown


async def test_an_idempotent_retry_with_other_credentials_replays_the_first_call(
    store: Store, context: TenantContext
) -> None:
    """Fingerprints leave secrets out (an unkeyed digest of a token could be tested against
    guesses): the same key with other headers is a replay, not a conflict."""
    app = services(store, new_key())
    first, second = Token(), Token()
    key = f"idem-{first.value[:8]}"
    created = await app.mcp_servers.create(context, server_input(first), idempotency_key=key)
    again = await app.mcp_servers.create(context, server_input(second), idempotency_key=key)
    assert again.mcp_server_uuid == created.mcp_server_uuid
    assert await app.mcp_servers.credentials(context, created.mcp_server_uuid) == first.headers
