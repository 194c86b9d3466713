"""The storage URL and options; building a store does no I/O."""

from __future__ import annotations

import pytest

from aace.adapters.config import StoreConfig
from aace.adapters.dynamodb import DynamoSettings, DynamoStore
from aace.adapters.dynamodb.settings import TableOptions
from aace.application.storage import build_store
from aace.domain.entities import AGENTS, SESSIONS
from aace.domain.errors import StorageUnavailable, ValidationError
from aace.domain.query import CursorCodec
from aace.domain.schema import TableNames
from aace.domain.tenancy import PartitionKey
from tests.backends import TEST_SECRET
from tests.dynamodb.faults import SleepRecorder

CODEC = CursorCodec(TEST_SECRET)


def settings(url: str, **options: str) -> DynamoSettings:
    return DynamoSettings.from_config(StoreConfig(url, CODEC, options=options))


def test_a_host_and_port_become_a_local_http_endpoint() -> None:
    parsed = settings("dynamodb://127.0.0.1:8000?region=eu-west-1&table_prefix=dev-")
    assert parsed.endpoint_url == "http://127.0.0.1:8000"
    assert parsed.region == "eu-west-1"
    assert parsed.table_name(AGENTS) == "dev-aace-agents"


def test_without_a_host_the_region_default_endpoint_is_used() -> None:
    parsed = settings("dynamodb://")
    assert parsed.endpoint_url is None
    assert parsed.region == "us-east-1"
    assert parsed.workers == 16


def test_tls_and_worker_options() -> None:
    parsed = settings("dynamodb://ddb.internal:443?tls=true", workers="4")
    assert parsed.endpoint_url == "https://ddb.internal:443"
    assert parsed.workers == 4


def test_table_names_follow_the_configured_mapping() -> None:
    names = TableNames(coordination_prefix="aace-", overrides={"agents": "my-agents"})
    config = StoreConfig("dynamodb://", CODEC, table_names=names)
    parsed = DynamoSettings.from_config(config)
    assert parsed.table_name(AGENTS) == "my-agents"
    assert parsed.table_name(SESSIONS) == "aace-sessions"


@pytest.mark.parametrize(
    ("option", "value"),
    [("workers", "0"), ("workers", "many"), ("retry_attempts", "-1"), ("retry_base_delay", "0")],
)
def test_a_bad_option_is_refused_by_name(option: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings("dynamodb://", **{option: value})
    assert caught.value.field == option


def test_tables_are_created_on_demand_without_extras_unless_asked() -> None:
    assert settings("dynamodb://").table_options == TableOptions(
        billing_mode="PAY_PER_REQUEST",
        read_capacity=None,
        write_capacity=None,
        point_in_time_recovery=False,
        deletion_protection=False,
        stream=None,
    )


def test_production_table_options_are_read_from_the_url_and_the_options() -> None:
    parsed = settings(
        "dynamodb://?billing_mode=provisioned&stream=new_and_old_images",
        read_capacity="5",
        write_capacity="7",
        point_in_time_recovery="true",
        deletion_protection="TRUE",
    )
    assert parsed.table_options == TableOptions(
        billing_mode="PROVISIONED",
        read_capacity=5,
        write_capacity=7,
        point_in_time_recovery=True,
        deletion_protection=True,
        stream="NEW_AND_OLD_IMAGES",
    )
    assert parsed.table_options.throughput == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}


@pytest.mark.parametrize(
    ("options", "field", "says"),
    [
        ({"billing_mode": "ON_DEMAND"}, "billing_mode", "PAY_PER_REQUEST, PROVISIONED"),
        ({"billing_mode": "PROVISIONED", "write_capacity": "5"}, "read_capacity", "required"),
        ({"billing_mode": "PROVISIONED", "read_capacity": "5"}, "write_capacity", "required"),
        (
            {"billing_mode": "PROVISIONED", "read_capacity": "0", "write_capacity": "1"},
            "read_capacity",
            "at least 1",
        ),
        ({"read_capacity": "5"}, "read_capacity", "only with billing_mode=PROVISIONED"),
        ({"point_in_time_recovery": "maybe"}, "point_in_time_recovery", "true or false"),
        ({"deletion_protection": "2"}, "deletion_protection", "true or false"),
        ({"stream": "ALL"}, "stream", "OFF, NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, KEYS_ONLY"),
    ],
)
def test_a_bad_table_option_is_refused_by_name(
    options: dict[str, str], field: str, says: str
) -> None:
    with pytest.raises(ValidationError, match=says) as caught:
        settings("dynamodb://", **options)
    assert caught.value.field == field


def test_credentials_never_appear_in_the_settings_repr() -> None:
    parsed = settings("dynamodb://", aws_secret_access_key="s3cr3t-value")
    assert "s3cr3t-value" not in repr(parsed)


@pytest.mark.anyio
async def test_building_a_store_does_no_io_and_an_unreachable_backend_is_unavailable() -> None:
    config = StoreConfig(
        "dynamodb://127.0.0.1:9?region=us-east-1&retry_attempts=3",
        CODEC,
        options={"aws_access_key_id": "x", "aws_secret_access_key": "x", "connect_timeout": "0.5"},
    )
    store = build_store(config)  # nothing listens on port 9: building must not notice
    assert isinstance(store, DynamoStore)
    assert store.adapter == "dynamodb"
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    with pytest.raises(StorageUnavailable):
        await store.repository(AGENTS).find(PartitionKey("ep", "t"), ("k",))
    assert len(sleeps.delays) == 2
    await store.close()
