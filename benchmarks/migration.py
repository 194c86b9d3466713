"""The migration tool on a DynamoDB Local of its own: ``migrate run`` throughput on a legacy
``agents`` table against plain boto3 doing the same parallel-scan copy (a newer-wins
conditional ``PutItem`` per record from a pool as large as the adapter's; and an
unconditional ``BatchWriteItem`` copy), in interleaved rounds into fresh targets; ``follow``'s
lag from a legacy write to its arrival; the peak memory of ``aace migrate run``."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import attrs
import boto3
from botocore.config import Config

from aace.adapters.dynamodb.settings import DynamoSettings
from aace.application.migration.bulk import BulkOptions
from aace.application.migration.endpoints import open_target
from aace.application.migration.follow import FollowOptions, follow
from aace.application.migration.legacy import STREAM_VIEW
from aace.application.migration.legacy import run as migrate
from aace.application.settings import Settings
from aace.domain.entities import AGENTS
from aace.domain.migration import legacy_tenant, table_named
from benchmarks.backends import SECRET, breakdown, dynamodb_local, requests_of
from benchmarks.report import Report, Timing
from tests.backends.dynamodb import CREDENTIALS, REGION, boto3_client, fresh_prefix, store_config
from tests.factories import sample
from tests.migration.legacy import PYNAMODB_DATETIME, create_legacy_tables, legacy_record, to_wire
from tests.migration.legacy import table_name as legacy_table_name

SECTION = "migration"
RECORDS, TENANTS = 2_000, 8  # a run takes a few seconds on DynamoDB Local here
SEGMENTS, ROUNDS = (1, 4), 5
PAGE = BulkOptions().page_size
#: The adapter's worker threads bound the tool's writes in flight (``concurrency`` per
#: segment): the plain copies' pool has as many.
WORKERS = int(attrs.fields(DynamoSettings).workers.default or 0)
TARGET_RATIO = 0.9
CONDITION = "attribute_not_exists(partition_key) OR updated_at <= :u"
WRITE_RATE, WRITE_SECONDS, POLL = 100, 10, 0.1  # follow: legacy writes/s, for how long
#: 100 000 records take longer than this module's budget here (see the figure's context):
#: AACE_BENCH_MIGRATION_RECORDS=100000 measures them.
MEMORY_RECORDS = int(os.environ.get("AACE_BENCH_MIGRATION_RECORDS", "50000"))
TARGET_MB = 100.0
AGENT = table_named("agents")
STAMP = datetime(2025, 6, 1, tzinfo=UTC)

Item = dict[str, Any]


@attrs.define
class _Local:
    """The DynamoDB Local of this module, and the settings of every prefix made on it."""

    endpoint: str
    client: Any
    made: list[Settings] = attrs.field(factory=list)

    async def fresh(self, *, legacy: int | None = None) -> Settings:
        """A fresh target whose tables exist; or ``legacy`` tables holding that many agents,
        their stream turned on (a run needs it) once they are written: it starts empty."""
        c = store_config(self.endpoint, fresh_prefix())
        settings = Settings(storage_url=c.url, cursor_secret=SECRET, store_options=c.options)
        self.made.append(settings)
        if legacy is None:
            await (await open_target(settings, create=True)).close()
            return settings
        create_legacy_tables(self.client, _prefix(settings), stream=False)
        with ThreadPoolExecutor(4) as pool:
            for chunks in _chunks(_chunks(_legacy_items(legacy), 25), 32):
                list(pool.map(partial(_batch_write, self.client, _agents(settings)), chunks))
        stream = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW}
        self.client.update_table(TableName=_agents(settings), StreamSpecification=stream)
        return settings

    def drop(self, settings: Settings) -> None:
        for page in self.client.get_paginator("list_tables").paginate():
            for name in page["TableNames"]:
                if name.startswith(_prefix(settings)):
                    self.client.delete_table(TableName=name)


def _prefix(settings: Settings) -> str:
    return settings.storage_url.split("table_prefix=", 1)[1]


def _agents(settings: Settings) -> str:
    """The agents table (named alike in the legacy layout and the new one)."""
    return legacy_table_name(_prefix(settings), AGENT)


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def _legacy_items(count: int, stamp: datetime = STAMP) -> Iterator[Item]:
    """Legacy agents as the old code wrote them (no partition_key nor part_id), by tenant."""
    tenants = [legacy_tenant(f"bench{n}") for n in range(TENANTS)]
    wire = [to_wire(legacy_record(AGENT, sample(AGENTS, t, updated_at=stamp))) for t in tenants]
    for number in range(count):
        yield {
            **wire[number % TENANTS],
            "agent_version_uuid": {"S": str(uuid.uuid4())},
            "agent_uuid": {"S": str(uuid.uuid4())},
            "updated_at": {"S": (stamp + timedelta(seconds=number)).strftime(PYNAMODB_DATETIME)},
        }


def _batch_write(client: Any, table: str, items: list[Item]) -> None:
    """One BatchWriteItem of up to 25 items, unprocessed items sent again."""
    pending = [{"PutRequest": {"Item": item}} for item in items]
    while pending:
        response = client.batch_write_item(RequestItems={table: pending})
        pending = response.get("UnprocessedItems", {}).get(table, [])


def _plain_client(endpoint: str) -> Any:
    """A boto3 client as a user sizes it for a pool of WORKERS threads."""
    config, url = Config(max_pool_connections=WORKERS + max(SEGMENTS)), f"http://{endpoint}"
    return boto3.client("dynamodb", REGION, endpoint_url=url, config=config, **CREDENTIALS)


def _plain_copy(client: Any, source: str, target: str, segments: int, batch: bool) -> None:
    """A thread per segment scans pages of PAGE (as the tool does); a pool of WORKERS
    threads puts each page's records, with their tenant attributes, one by one on the
    newer-wins condition (or in BatchWriteItems of 25); the next page once it is written."""

    def tenant(item: Item) -> Item:
        endpoint = item["endpoint_id"]["S"]
        added = {"partition_key": {"S": f"{endpoint}#{endpoint}"}, "part_id": {"S": endpoint}}
        return {**item, **added}

    def put_newer(item: Item) -> None:
        values = {":u": item["updated_at"]}
        newer = {"ConditionExpression": CONDITION, "ExpressionAttributeValues": values}
        with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
            client.put_item(TableName=target, Item=tenant(item), **newer)

    def segment(number: int) -> None:
        request = {"TableName": source, "Segment": number, "TotalSegments": segments}
        request |= {"Limit": PAGE, "ConsistentRead": True}
        while True:
            page = client.scan(**request)
            if batch:
                chunks = _chunks(map(tenant, page["Items"]), 25)
                list(writers.map(partial(_batch_write, client, target), chunks))
            else:
                list(writers.map(put_newer, page["Items"]))
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(WORKERS) as writers, ThreadPoolExecutor(segments) as scanners:
        list(scanners.map(segment, range(segments)))


@contextlib.contextmanager
def _sent(client: Any, arrivals: dict[str, float] | None = None) -> Iterator[Counter[str]]:
    """What ``client`` sends meanwhile by operation and table; ``arrivals``: when each
    agent's successful PutItem came back."""
    sent: Counter[str] = Counter()
    lock = threading.Lock()  # requests are sent from worker threads

    def request(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        tables = [params["TableName"]] if "TableName" in params else params.get("RequestItems")
        with lock:
            sent.update(f"{model.name} {name.split('-', 1)[1]}" for name in tables or ())
        context["bench_key"] = params.get("Item", {}).get("agent_version_uuid", {}).get("S")

    def response(http_response: Any, context: dict[str, Any], **_: Any) -> None:
        key = context.get("bench_key")
        if arrivals is not None and key and http_response.status_code == 200:
            arrivals.setdefault(key, time.perf_counter())

    hooks = (("provide-client-params.dynamodb", request), ("after-call.dynamodb", response))
    for event, hook in hooks:
        client.meta.events.register(event, hook)
    try:
        yield sent
    finally:
        for event, hook in hooks:
            client.meta.events.unregister(event, hook)


async def _throughput(report: Report, local: _Local, source: Settings) -> Settings:
    """Each copy once, untimed (DynamoDB Local warms up), 4 segments: the targets hold every
    record; the tool's requests (its target is kept for ``follow``). Then the timed rounds,
    the baselines first (as interleaved_timings runs them)."""

    async def plain(batch: bool, target: Settings, segments: int) -> None:
        client = _plain_client(local.endpoint)  # a user's script makes its client
        _plain_copy(client, _agents(source), _agents(target), segments, batch)
        client.close()

    async def tool(target: Settings, segments: int) -> None:
        done = await migrate(source, target, BulkOptions(segments=segments), ["agents"])
        assert done.ok and done.total.written == RECORDS, done.as_dict()  # noqa: PT018

    copies: dict[str, Callable[[Settings, int], Awaitable[None]]]
    copies = {"raw": partial(plain, False), "batch": partial(plain, True), "tool": tool}
    for name in ("raw", "batch"):
        await copies[name](target := await local.fresh(), max(SEGMENTS))
        table = local.client.describe_table(TableName=_agents(target))["Table"]
        assert table["ItemCount"] == RECORDS, name  # DynamoDB Local counts at once
        local.drop(target)
    store = await open_target(followed := await local.fresh(), create=False)
    try:
        with _sent(requests_of(store)) as sent:
            options = BulkOptions(segments=max(SEGMENTS))
            done = await migrate(source, followed, options, ["agents"], store=store)
    finally:
        await store.close()
    assert done.ok, done.as_dict()
    figure = f"run: requests to the target per record ({RECORDS:,} records, 4 segments)"
    context = (
        f"{breakdown(sent)} (migration_state: the job, then per page of {PAGE}); the plain "
        f"copies send a PutItem per record or a BatchWriteItem per 25, and read the same Scans"
    )
    report.add(SECTION, figure, sum(sent.values()) / RECORDS, "requests", context=context)
    for segments in SEGMENTS:
        spent: dict[str, list[float]] = {name: [] for name in copies}
        cpu: dict[str, list[float]] = {name: [] for name in copies}
        for _ in range(ROUNDS):
            for name, copy in copies.items():
                target = await local.fresh()
                start, used = time.perf_counter(), time.process_time()
                await copy(target, segments)
                spent[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - used)
                local.drop(target)
        rates = [f"{n} {RECORDS / statistics.median(s):.0f}" for n, s in spent.items()]
        per_record = [f"{n} {statistics.median(c) / RECORDS * 1e3:.2f} ms" for n, c in cpu.items()]
        context = (
            f"{RECORDS:,} records of {TENANTS} tenants, pages of {PAGE}, medians of {ROUNDS} "
            f"interleaved rounds; records/s: {', '.join(rates)}; CPU of this process (all "
            f"threads) per record: {', '.join(per_record)}"
        )
        figure, rate = f"run throughput, {segments} segment(s)", statistics.median(spent["tool"])
        report.add(SECTION, figure, RECORDS / rate, "records/s", context=context)
        for name, what, goal in (
            ("raw", "plain boto3 conditional PutItem copy", f">= {TARGET_RATIO:.2f}x"),
            ("batch", "plain boto3 BatchWriteItem copy (unconditional)", ""),
        ):
            timing = Timing(spent["tool"], spent[name])
            ratio, met = 1 / timing.ratio, 1 / timing.ratio >= TARGET_RATIO if goal else None
            figure = f"run vs {what}, {segments} segment(s) (throughput)"
            times = timing.describe("s", 1).split("; ", 1)[1].replace("call", "copy")
            context = f"best rounds {1 / timing.min_ratio:.2f}x; {times}"
            report.add(SECTION, figure, ratio, "x", target=goal, met=met, context=context)
    return followed


def _write_paced(client: Any, table: str, items: list[Item]) -> dict[str, float]:
    """Put ``items`` one by one at WRITE_RATE per second: when each put came back."""
    written: dict[str, float] = {}
    start = time.perf_counter()
    for number, item in enumerate(items):
        time.sleep(max(0.0, start + number / WRITE_RATE - time.perf_counter()))
        client.put_item(TableName=table, Item=item)
        written[item["agent_version_uuid"]["S"]] = time.perf_counter()
    return written


async def _follow_lag(report: Report, local: _Local, source: Settings, target: Settings) -> None:
    """``target`` holds a finished run of ``source``, whose stream holds nothing yet."""
    primer, *items = _legacy_items(WRITE_RATE * WRITE_SECONDS + 1, datetime.now(UTC))
    store, writer = await open_target(target, create=False), _plain_client(local.endpoint)
    # On DynamoDB Local an iterator taken while a shard is empty fails (trimmed data) once
    # other tables' writes move the sequence numbers on: follow would stop, "changes lost".
    writer.put_item(TableName=_agents(source), Item=primer)
    arrivals: dict[str, float] = {}
    try:
        with _sent(requests_of(store), arrivals) as sent:
            async with anyio.create_task_group() as group:
                following = partial(follow, store=store)
                group.start_soon(following, source, target, FollowOptions(poll=POLL), ["agents"])
                await anyio.sleep(1)  # its first pass
                start, table = time.perf_counter(), _agents(source)
                written = await anyio.to_thread.run_sync(_write_paced, writer, table, items)
                wrote, deadline = time.perf_counter() - start, time.perf_counter() + 60
                # arrivals are noted in the store's worker threads: polled
                while written.keys() - arrivals.keys() and time.perf_counter() < deadline:  # noqa: ASYNC110
                    await anyio.sleep(0.05)
                group.cancel_scope.cancel()
    finally:
        writer.close()
        await store.close()
    lags = sorted(arrivals[key] - at for key, at in written.items() if key in arrivals)
    moments = sorted(arrivals[key] for key in written if key in arrivals)
    gaps = [b - a for a, b in itertools.pairwise(moments) if b - a < POLL]
    scope = (
        f"{len(written)} legacy puts in {wrote:.1f} s ({len(written) / wrote:.0f}/s, a thread "
        f"of this process; one more before follow began) to a table of {RECORDS:,}; follow "
        f"polling every {POLL} s; lag: its PutItem back minus the legacy put back; "
        f"{len(written) - len(lags)} never arrived; follow puts one at a time: median "
        f"{statistics.median(gaps) * 1e3:.1f} ms between arrivals while behind; its requests "
        f"per legacy write: {breakdown(sent, len(written))}"
    )
    quantiles = {"p50": len(lags) // 2, "p95": int(0.95 * len(lags)) - 1, "max": -1}
    for name, at in quantiles.items():
        report.add(SECTION, f"follow lag {name}", lags[at] * 1e3, "ms", context=scope)


#: ``aace migrate run`` (default options) in a process of its own, credentials from the
#: environment; its peak RSS above its RSS once imported (where the peak is reset).
CHILD = """
import json, sys
import aace.adapters.dynamodb.legacy, aace.adapters.dynamodb.store
import aace.application.migration.legacy
from aace.application.cli import main
rss = lambda f: next(int(l.split()[1]) << 10 for l in open("/proc/self/status") if f in l)
with open("/proc/self/clear_refs", "w") as refs: refs.write("5")
start, (source, target, out, report) = rss("VmRSS:"), sys.argv[1:]
main(["migrate", "run", "--from", source, "--to", target, "--table", "agents", "--report", report])
with open(out, "w") as result: json.dump({"start": start, "peak": rss("VmHWM:")}, result)
"""


async def _peak_mb(local: _Local, source: Settings) -> tuple[float, float, int]:
    """(peak MB above start, seconds, records written) of :data:`CHILD` from ``source``."""
    urls = [s.storage_url for s in (source, await local.fresh())]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    with tempfile.TemporaryDirectory() as folder:
        out, document = Path(folder) / "rss.json", Path(folder) / "report.json"
        command = [sys.executable, "-c", CHILD, *urls, str(out), str(document)]
        start = time.perf_counter()
        done = await anyio.run_process(command, env=env, check=False)
        seconds = time.perf_counter() - start
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        records: int = json.loads(document.read_text())["totals"]["written"]
        rss = json.loads(out.read_text())
    return (rss["peak"] - rss["start"]) / 2**20, seconds, records


async def _memory(report: Report, local: _Local, small: Settings) -> None:
    start = time.perf_counter()
    source = await local.fresh(legacy=MEMORY_RECORDS)
    load = time.perf_counter() - start
    few, _, small_records = await _peak_mb(local, small)
    many, seconds, records = await _peak_mb(local, source)
    assert records == MEMORY_RECORDS, records
    context = (
        f"VmHWM minus VmRSS once imported, aace migrate run --table agents (default options) "
        f"in a process of its own; {small_records:,} records: {few:.1f} MB; the "
        f"{records:,} loaded in {load:.0f} s (BatchWriteItem, 4 threads), migrated in "
        f"{seconds:.0f} s"
    )
    if records < 100_000:
        estimate = (load + seconds) * 100_000 / records
        context += f"; 100,000 would take ~{estimate:.0f} s here, past this module's budget"
    figure = f"peak memory above start, migrate run of {records:,} records"
    goal, met = f"< {TARGET_MB:g} MB", many < TARGET_MB
    report.add(SECTION, figure, many, "MB", target=goal, met=met, context=context)


async def run(report: Report) -> None:
    with dynamodb_local() as endpoint:
        local = _Local(endpoint, boto3_client(endpoint))
        try:
            source = await local.fresh(legacy=RECORDS)
            followed = await _throughput(report, local, source)
            await _follow_lag(report, local, source, followed)
            await _memory(report, local, source)
        finally:
            for settings in local.made:
                local.drop(settings)
