"""The migration tool on a DynamoDB Local of its own: the whole ``aace migrate run`` command
(process start included) against a plain boto3 script in a process of its own that scans the
legacy tables, re-keys and writes with BatchWriteItem on as many threads (both into fresh
targets, interleaved rounds), on legacy agents, threads, runs and messages; the same command
into SQLite; the requests per record; the start-up time to the first write; ``follow``'s lag
from a legacy write to its arrival at 100 writes/s and as fast as one writer thread goes
beside it; the peak memory of ``aace migrate run``."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
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
#: Records per throughput run, spread over TABLES (AACE_BENCH_MIGRATION_RECORDS_RUN).
RECORDS = int(os.environ.get("AACE_BENCH_MIGRATION_RECORDS_RUN", "10000"))
TENANTS, SEGMENTS = 8, (1, 4)
ROUNDS = int(os.environ.get("AACE_BENCH_MIGRATION_ROUNDS", "2"))
TABLES = ("agents", "threads", "runs", "messages")
PAGE = BulkOptions().page_size
#: The plain script writes from a pool as large as the tool's requests in flight.
WORKERS = int(attrs.fields(DynamoSettings).workers.default or 0)
TARGET_RATIO = 0.9
WRITE_RATE, WRITE_SECONDS, POLL = 100, 10, 0.1  # follow: legacy writes/s, for how long
#: Records of the peak-memory run (agents; AACE_BENCH_MIGRATION_RECORDS).
MEMORY_RECORDS = int(os.environ.get("AACE_BENCH_MIGRATION_RECORDS", "100000"))
TARGET_MB = 100.0
AGENT = table_named("agents")
STAMP = datetime(2025, 6, 1, tzinfo=UTC)
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}

Item = dict[str, Any]


@attrs.define
class _Local:
    """The DynamoDB Local of this module, and the settings of every prefix made on it."""

    endpoint: str
    client: Any
    made: list[Settings] = attrs.field(factory=list)

    async def fresh(
        self, *, legacy: int | None = None, tables: tuple[str, ...] = TABLES
    ) -> Settings:
        """A fresh target whose tables exist; or legacy ``tables`` holding ``legacy`` records
        in all, their streams turned on (a run needs them) once they are written."""
        c = store_config(self.endpoint, fresh_prefix())
        settings = Settings(storage_url=c.url, cursor_secret=SECRET, store_options=c.options)
        self.made.append(settings)
        if legacy is None:
            await (await open_target(settings, create=True)).close()
            return settings
        create_legacy_tables(self.client, _prefix(settings), stream=False)
        with ThreadPoolExecutor(4) as pool:
            for table, items in _legacy_items(legacy, tables).items():
                name = _table(settings, table)
                for chunks in _chunks(_chunks(iter(items), 25), 32):
                    list(pool.map(partial(_batch_write, self.client, name), chunks))
        stream = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW}
        for table in tables:
            self.client.update_table(TableName=_table(settings, table), StreamSpecification=stream)
        return settings

    def drop(self, settings: Settings) -> None:
        for page in self.client.get_paginator("list_tables").paginate():
            for name in page["TableNames"]:
                if name.startswith(_prefix(settings)):
                    self.client.delete_table(TableName=name)


def _prefix(settings: Settings) -> str:
    return settings.storage_url.split("table_prefix=", 1)[1]


def _table(settings: Settings, name: str) -> str:
    """A table's name (alike in the legacy layout and the new one)."""
    return legacy_table_name(_prefix(settings), table_named(name))


def _agents(settings: Settings) -> str:
    return _table(settings, "agents")


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def _stamp(number: int, stamp: datetime = STAMP) -> dict[str, str]:
    return {"S": (stamp + timedelta(seconds=number)).strftime(PYNAMODB_DATETIME)}


def _legacy_agents(count: int, stamp: datetime = STAMP) -> Iterator[Item]:
    """Legacy agents as the old code wrote them (no partition_key nor part_id), by tenant."""
    tenants = [legacy_tenant(f"bench{n}") for n in range(TENANTS)]
    wire = [to_wire(legacy_record(AGENT, sample(AGENTS, t, updated_at=stamp))) for t in tenants]
    for number in range(count):
        yield {
            **wire[number % TENANTS],
            "agent_version_uuid": {"S": str(uuid.uuid4())},
            "agent_uuid": {"S": str(uuid.uuid4())},
            "updated_at": _stamp(number, stamp),
        }


def _legacy_items(records: int, tables: tuple[str, ...]) -> dict[str, list[Item]]:
    """``records`` legacy records over ``tables``: each thread has a run, each run a
    message (which has no tenant: it takes its run's)."""
    per = records // len(tables)
    if tables == ("agents",):
        return {"agents": list(_legacy_agents(records))}
    tenants = [legacy_tenant(f"bench{n}") for n in range(TENANTS)]
    found: dict[str, list[Item]] = {"agents": list(_legacy_agents(per))}
    runs: list[tuple[str, str]] = []
    for name in ("threads", "runs", "messages"):
        table = table_named(name)
        schema = table.schema
        base = [to_wire(legacy_record(table, sample(schema, t))) for t in tenants]
        items = []
        for number in range(per):
            item = {**base[number % TENANTS], schema.version_field: _stamp(number)}
            if name == "threads":
                item["thread_uuid"] = {"S": str(uuid.uuid4())}
            elif name == "runs":
                thread, run = str(uuid.uuid4()), str(uuid.uuid4())
                item |= {"thread_uuid": {"S": thread}, "run_uuid": {"S": run}}
                runs.append((thread, run))
            else:
                thread, run = runs[number % len(runs)]
                item |= {"thread_uuid": {"S": thread}, "run_uuid": {"S": run}}
                item["message_uuid"] = {"S": str(uuid.uuid4())}
            items.append(item)
        found[name] = items
    return found


def _batch_write(client: Any, table: str, items: list[Item]) -> None:
    """One BatchWriteItem of up to 25 items, unprocessed items sent again."""
    pending = [{"PutRequest": {"Item": item}} for item in items]
    while pending:
        response = client.batch_write_item(RequestItems={table: pending})
        pending = response.get("UnprocessedItems", {}).get(table, [])


def _plain_client(endpoint: str) -> Any:
    config, url = Config(max_pool_connections=WORKERS + max(SEGMENTS)), f"http://{endpoint}"
    return boto3.client("dynamodb", REGION, endpoint_url=url, config=config, **CREDENTIALS)


#: What an operator scripts instead, run as a process of its own: per table, a thread per
#: segment scans pages of PAGE; a pool of WORKERS threads writes each page's records with
#: their tenant attributes in BatchWriteItems of 25 (a message's tenant from its run, read
#: with one BatchGetItem per page); every table at once.
PLAIN = r"""
import sys, itertools, boto3
from botocore.config import Config
from concurrent.futures import ThreadPoolExecutor
endpoint, source, target, segments, workers, page = sys.argv[1:7]
segments, workers, page = int(segments), int(workers), int(page)
client = boto3.client("dynamodb", "us-east-1", endpoint_url="http://" + endpoint,
                      config=Config(max_pool_connections=workers + 4 * segments))
tables = ["agents", "threads", "runs", "messages"]
name = lambda prefix, table: prefix + "aace-" + table
def write(table, items):
    pending = [{"PutRequest": {"Item": item}} for item in items]
    while pending:
        left = client.batch_write_item(RequestItems={table: pending})
        pending = left.get("UnprocessedItems", {}).get(table, [])
def tenant(endpoint_id):
    return {"partition_key": {"S": endpoint_id + "#" + endpoint_id}, "part_id": {"S": endpoint_id},
            "endpoint_id": {"S": endpoint_id}}
def parents(items):
    keys = {(i["thread_uuid"]["S"], i["run_uuid"]["S"]) for i in items}
    wanted = [{"thread_uuid": {"S": t}, "run_uuid": {"S": r}} for t, r in keys]
    found = {}
    for start in range(0, len(wanted), 100):
        keys = {"Keys": wanted[start:start + 100],
                "ProjectionExpression": "thread_uuid, run_uuid, endpoint_id"}
        request = {name(source, "runs"): keys}
        while request:
            got = client.batch_get_item(RequestItems=request)
            for run in got["Responses"].get(name(source, "runs"), []):
                found[(run["thread_uuid"]["S"], run["run_uuid"]["S"])] = run["endpoint_id"]["S"]
            request = got.get("UnprocessedKeys") or None
    return found
def segment(table, number):
    request = {"TableName": name(source, table), "Segment": number, "TotalSegments": segments,
               "Limit": page, "ConsistentRead": True}
    while True:
        got = client.scan(**request)
        items = got["Items"]
        if table == "messages":
            owner = parents(items)
            of = lambda i: owner[(i["thread_uuid"]["S"], i["run_uuid"]["S"])]
            items = [{**i, **tenant(of(i))} for i in items]
        else:
            items = [{**i, **tenant(i["endpoint_id"]["S"])} for i in items]
        chunks = [items[s:s + 25] for s in range(0, len(items), 25)]
        list(writers.map(lambda c: write(name(target, table), c), chunks))
        if "LastEvaluatedKey" not in got:
            return
        request["ExclusiveStartKey"] = got["LastEvaluatedKey"]
with ThreadPoolExecutor(workers) as writers, ThreadPoolExecutor(len(tables) * segments) as scans:
    list(scans.map(lambda ts: segment(*ts), itertools.product(tables, range(segments))))
"""


def _command(source: Settings, target: Settings, segments: int, report: Path) -> list[str]:
    tables = [arg for table in TABLES for arg in ("--table", table)]
    return [
        sys.executable, "-c", "from aace.application.cli import main; main()",
        "migrate", "run", "--from", source.storage_url, "--to", target.storage_url,
        *tables, "--segments", str(segments), "--report", str(report),
    ]  # fmt: skip


#: CPU seconds (user and system) of every command :func:`_timed` ran, by its name.
CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _timed(command: list[str], name: str = "") -> tuple[float, float]:
    """(wall seconds, when it started: epoch) of a command in a process of its own; its
    CPU seconds go to :data:`CPU` under ``name``."""
    began, start, used = time.time(), time.perf_counter(), _children_cpu()
    done = await anyio.run_process(command, env=ENV, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    CPU.setdefault(name, []).append(_children_cpu() - used)
    return time.perf_counter() - start, began


async def _throughput(report: Report, local: _Local, source: Settings) -> Settings:
    """One untimed run of each (DynamoDB Local warms up), then interleaved rounds of the
    tool and the plain script, 1 and 4 segments, each into a fresh target; the tool's
    requests per record from a run in this process (its target is kept for follow)."""
    folder = Path(tempfile.mkdtemp())
    startups: list[float] = []

    async def tool(target: Settings, segments: int) -> float:
        document = folder / "run.json"
        seconds, began = await _timed(_command(source, target, segments, document), "tool")
        done = json.loads(document.read_text())
        assert done["ok"] and done["totals"]["written"] == RECORDS, done["totals"]  # noqa: PT018
        startups.append(done["timings"]["first_write_at"] - began)
        return seconds

    async def plain(target: Settings, segments: int) -> float:
        args = [local.endpoint, _prefix(source), _prefix(target), segments, WORKERS, PAGE]
        return (await _timed([sys.executable, "-c", PLAIN, *map(str, args)], "plain"))[0]

    copies = {"tool": tool, "plain": plain}
    for copy in copies.values():
        target = await local.fresh()
        await copy(target, max(SEGMENTS))
        local.drop(target)
    store = await open_target(followed := await local.fresh(), create=False)
    try:
        with _sent(requests_of(store)) as sent:
            options = BulkOptions(segments=max(SEGMENTS))
            done = await migrate(source, followed, options, TABLES, store=store)
    finally:
        await store.close()
    assert done.ok, done.as_dict()
    figure = f"run: requests to the target per record ({RECORDS:,} records, 4 segments)"
    context = (
        f"{breakdown(sent)} (migration_state: the job, the write fences, then a tally and a "
        f"checkpoint per page of {PAGE}; runs: the messages' parents); the plain script "
        f"sends the same Scans, BatchWriteItems and BatchGetItems"
    )
    report.add(SECTION, figure, sum(sent.values()) / RECORDS, "requests", context=context)
    for segments in SEGMENTS:
        spent: dict[str, list[float]] = {name: [] for name in copies}
        for _ in range(ROUNDS):
            for name, copy in copies.items():
                target = await local.fresh()
                spent[name].append(await copy(target, segments))
                local.drop(target)
        rates = [f"{n} {RECORDS / statistics.median(s):.0f}" for n, s in spent.items()]
        timing = Timing(spent["tool"], spent["plain"])
        ratio, best = 1 / timing.ratio, 1 / timing.min_ratio
        context = (
            f"whole commands, process start included; {RECORDS:,} records of "
            f"{', '.join(TABLES)} ({TENANTS} tenants), medians of {ROUNDS} interleaved "
            f"rounds; records/s: {', '.join(rates)}; best rounds {best:.2f}x; "
            f"{timing.describe('s', 1).split('; ', 1)[1].replace('call', 'copy')}"
        )
        figure = f"run vs plain boto3 BatchWriteItem script, {segments} segment(s)"
        goal = f">= {TARGET_RATIO:.2f}x"
        report.add(
            SECTION, figure, ratio, "x", target=goal, met=ratio >= TARGET_RATIO, context=context
        )
    per_record = {n: statistics.median(c) / RECORDS * 1e3 for n, c in CPU.items() if n}
    context = (
        f"user + system CPU of the whole process over {RECORDS:,} records (start-up "
        f"included), median of every run above; the plain script: {per_record['plain']:.2f} ms"
    )
    figure = "run: CPU per record (process)"
    report.add(SECTION, figure, per_record["tool"], "ms", context=context)
    figure = "run: start-up, process start to its first write"
    context = (
        f"median of {len(startups)} runs above (imports, describing and creating tables, fences)"
    )
    report.add(SECTION, figure, statistics.median(startups), "s", context=context)
    await _sqlite(report, local, source)
    return followed


async def _sqlite(report: Report, local: _Local, source: Settings) -> None:
    """The same command into a SQLite file (multi-row newer-wins upserts): records/s."""
    folder = Path(tempfile.mkdtemp())
    spent = []
    for round_ in range(ROUNDS):
        target = Settings(
            storage_url=f"sqlite:///{folder}/target{round_}.db", cursor_secret=SECRET
        )
        seconds, _ = await _timed(_command(source, target, max(SEGMENTS), folder / "r.json"))
        spent.append(seconds)
    context = (
        f"whole command, 4 segments, {RECORDS:,} records of {', '.join(TABLES)}, median of "
        f"{ROUNDS}; the plain executemany / copy_records_to_table scripts are not measured yet"
    )
    figure = "run into SQLite throughput"
    report.add(SECTION, figure, RECORDS / statistics.median(spent), "records/s", context=context)


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


def _write_paced(
    client: Any, table: str, items: list[Item], rate: float | None
) -> dict[str, float]:
    """Put ``items`` one by one at ``rate`` per second (None: as fast as one thread puts):
    when each put came back."""
    written: dict[str, float] = {}
    start = time.perf_counter()
    for number, item in enumerate(items):
        if rate is not None:
            time.sleep(max(0.0, start + number / rate - time.perf_counter()))
        client.put_item(TableName=table, Item=item)
        written[item["agent_version_uuid"]["S"]] = time.perf_counter()
    return written


async def _follow_lag(
    report: Report, local: _Local, source: Settings, target: Settings, rate: float | None
) -> None:
    """``target`` holds a finished run of ``source``; legacy agents put at ``rate``."""
    primer, *items = _legacy_agents(WRITE_RATE * WRITE_SECONDS + 1, datetime.now(UTC))
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
                written = await anyio.to_thread.run_sync(_write_paced, writer, table, items, rate)
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
    pace = f"{rate:g} legacy writes/s" if rate else "as fast as one writer thread goes"
    scope = (
        f"{len(written)} legacy puts in {wrote:.1f} s ({len(written) / wrote:.0f}/s, a thread "
        f"of this process; one more before follow began) to a table of {RECORDS // 4:,}; follow "
        f"polling every {POLL} s; lag: its PutItem back minus the legacy put back; "
        f"{len(written) - len(lags)} never arrived; follow puts one at a time: median "
        f"{statistics.median(gaps) * 1e3:.1f} ms between arrivals while behind; its requests "
        f"per legacy write: {breakdown(sent, len(written))}"
    )
    quantiles = {"p50": len(lags) // 2, "p95": int(0.95 * len(lags)) - 1, "max": -1}
    for name, at in quantiles.items():
        figure = f"follow lag {name}, {pace}"
        report.add(SECTION, figure, lags[at] * 1e3, "ms", context=scope)


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
    source = await local.fresh(legacy=MEMORY_RECORDS, tables=("agents",))
    load = time.perf_counter() - start
    few, _, small_records = await _peak_mb(local, small)
    many, seconds, records = await _peak_mb(local, source)
    assert records == MEMORY_RECORDS, records
    context = (
        f"VmHWM minus VmRSS once imported, aace migrate run --table agents (default options) "
        f"in a process of its own; {small_records:,} records: {few:.1f} MB; the "
        f"{records:,} loaded in {load:.0f} s (BatchWriteItem, 4 threads), migrated in "
        f"{seconds:.0f} s, {records / seconds:.0f} records/s (one run: the whole command, 4 "
        f"segments)"
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
            await _follow_lag(report, local, source, followed, WRITE_RATE)
            await _follow_lag(report, local, source, followed, None)
            await _memory(report, local, source)
        finally:
            for settings in local.made:
                local.drop(settings)
