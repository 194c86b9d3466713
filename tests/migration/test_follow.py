"""``migrate follow`` from DynamoDB Local: the DynamoDB source's streams (shards, images,
iterators) and table descriptions. The rules (tombstones, newer wins, convergence) are tested
from the memory source into every adapter: ``test_follow_rules.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aace.application.migration.follow import FollowOptions, follow
from aace.application.migration.legacy import run
from aace.application.settings import Settings
from aace.domain.errors import ValidationError
from tests.migration.conftest import PATHS, Legacy, fence, options
from tests.migration.legacy import create_legacy_tables
from tests.migration.scenarios import OnPage, changes
from tests.migration.stores import contents, expected_contents

pytestmark = pytest.mark.anyio

#: ``timeout``: a guard against a hang only.
CONVERGE = FollowOptions(until_converged=True, timeout=60, poll=0.2)


@pytest.mark.parametrize("path", PATHS)
async def test_writes_during_and_after_the_run_arrive_and_deletes_stay_deleted(
    legacy: Legacy, copy_target: Callable[[], Settings], path: str
) -> None:
    """DynamoDB Streams read end to end: inserts, changes and deletes of the legacy tables
    during the copy (once its third page is written) and after it."""
    target = copy_target()
    await fence(target, path)
    during = OnPage(3, lambda: changes(legacy, 0))
    report = await run(legacy.settings, target, options(), progress=during)
    assert during.acted  # the old code wrote while the copy ran
    assert report.ok, report.to_json()
    changes(legacy, 1)  # and after it
    followed = await follow(legacy.settings, target, CONVERGE)
    assert followed.converged, followed.to_json()
    assert followed.ok, followed.to_json()
    assert await contents(target) == expected_contents(legacy.data)


async def test_follow_refuses_tables_without_their_stream(
    dynamodb_endpoint: str,
    client: Any,
    prefixes: Callable[[], str],
    copy_target: Callable[[], Settings],
) -> None:
    from tests.migration.conftest import dynamo_settings

    prefix = prefixes()
    create_legacy_tables(client, prefix, stream=False)
    source = dynamo_settings(dynamodb_endpoint, prefix)
    target = copy_target()
    with pytest.raises(ValidationError) as unfollowed:
        await run(source, target, options(), ["agents"])
    assert unfollowed.value.field == "from"
    await run(source, target, options(), ["agents"], without_stream=True)
    with pytest.raises(ValidationError) as refused:
        await follow(source, target, FollowOptions(once=True), ["agents", "runs"])
    assert refused.value.field == "from"
    assert "agents, runs" in str(refused.value)
    assert "NEW_AND_OLD_IMAGES" in str(refused.value)


async def test_a_missing_table_and_a_refused_record_do_not_keep_follow_from_converging(
    legacy: Legacy, client: Any
) -> None:
    from tests.migration.conftest import in_place_target
    from tests.migration.legacy import orphan_message

    client.delete_table(TableName=f"{legacy.prefix}aace-fine_tuning_messages")
    orphan_message(legacy.data.tables)
    target = in_place_target(legacy)
    report = await run(
        legacy.settings, target, options(), ["agents", "messages", "fine_tuning_messages"]
    )
    assert report.tables["messages"].total.failed == 1
    assert "fine_tuning_messages" not in report.tables
    followed = await follow(legacy.settings, target, CONVERGE, ["agents", "messages"])
    assert followed.converged, followed.to_json()
