"""Scenarios 2 and 5 of the hub benchmark (issue 6): a steady mixed load through every running process, and the
recovery after a broker outage under it.

The load, per second, in the proportions of :data:`MIX`:
- provincial changes: payment-status changes (2.4) appended to the simulator's SOAP feed, read by `hub provincial
  poll` and applied by the registry's worker (no push back: timed from read to applied);
- provincial certifications (2.6) of retirees suspended for missing certification: each is read, resumes the retiree
  (4.5) and the resumption is pushed back (6.22) — the full round trip the 5-second requirement is about;
- face-recognition results pushed, signed, to `hub api`'s webhook, for other such retirees: the same resumption and
  push;
- staff commands: an operator suspending one retiree through the staff API (4.5), pushed to the province.

Every latency is measured twice: by the hub's own histogram (`hub_provincial_exchange_seconds`, scraped from the
processes' /metrics before and after, percentiles to the bucket's upper bound) and against timestamps — the
simulator's own time of the change and of the push's arrival, and the benchmark's time of each webhook call and staff
request (one machine, one clock).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock_time
from typing import Any, TypeVar

import httpx
import psycopg
from sqlalchemy.exc import SQLAlchemyError

from bench.support import group_lag
from channels.security import issue_token
from domain.dictionary.codes import ReasonCode
from simulators.auth_platform.emitter import CHINA_TZ, encode, make_result, signed_request
from simulators.provincial.store import Store

MIX = {"payment_status": 0.5, "provincial_certification": 0.2, "face_result": 0.2, "staff_suspension": 0.1}
BENCH_SECRET_KEY = "bench-secret-key-of-at-least-32-characters"
BENCH_WEBHOOK_SECRET = "bench-webhook-secret"
OPERATOR = "bench-operator"
T = TypeVar("T")


@dataclass
class Cast:
    """The retirees each flow acts on, set up in the registry before the load."""

    payment: list[str]
    certified: list[str]  # suspended for missing certification; certified by the province
    face: list[tuple[str, str]]  # (personal number, ID number), suspended likewise; certified by face recognition
    staff: list[int]  # registered retiree ids an operator suspends

    def split(self, rate: int, seconds: int) -> tuple[Cast, Cast]:
        """The people ``seconds`` of load at ``rate`` act on, and the rest (each can be resumed or suspended once)."""
        counts = per_second(rate)
        first = {
            "certified": counts["provincial_certification"] * seconds,
            "face": counts["face_result"] * seconds,
            "staff": counts["staff_suspension"] * seconds,
        }
        head = Cast(
            self.payment, self.certified[: first["certified"]], self.face[: first["face"]], self.staff[: first["staff"]]
        )
        rest = Cast(
            self.payment, self.certified[first["certified"] :], self.face[first["face"] :], self.staff[first["staff"] :]
        )
        return head, rest


@dataclass
class Sent:
    """What the load generator sent, and when (UTC): the benchmark's side of the timestamps."""

    face: dict[str, datetime] = field(default_factory=dict)
    staff: dict[int, datetime] = field(default_factory=dict)
    certified: list[str] = field(default_factory=list)
    payment_changes: int = 0
    refused: dict[str, int] = field(default_factory=dict)


def per_second(rate: int) -> dict[str, int]:
    return {flow: max(1, round(rate * share)) for flow, share in MIX.items()}


def prepare(dsn: str, rate: int, seconds: int) -> Cast:
    """An institution tree, an operator, and the retirees of each flow, by SQL over the resynced registry."""
    wanted = {flow: count * seconds for flow, count in per_second(rate).items()}
    with psycopg.connect(dsn) as connection:
        community = _tree(connection)
        connection.execute(
            "INSERT INTO staff_account (username, full_name, password_hash, institution_id, role, created_by)"
            " VALUES (%s, '压测经办员', 'no password: the benchmark issues its token', %s, 'operator', 'bench')"
            " ON CONFLICT (username) DO UPDATE SET institution_id = excluded.institution_id",
            (OPERATOR, community),
        )
        rows = connection.execute(
            "SELECT id, personal_number, id_number FROM retiree WHERE status = 'approved' ORDER BY id LIMIT %s",
            (sum(wanted.values()) + 2000,),
        ).fetchall()
        needed = wanted["provincial_certification"] + wanted["face_result"] + wanted["staff_suspension"] + 2000
        if len(rows) < needed:
            raise RuntimeError(f"the steady load needs {needed:,} approved retirees, the registry has {len(rows):,}")
        certified = rows[: wanted["provincial_certification"]]
        face = rows[len(certified) : len(certified) + wanted["face_result"]]
        staff = rows[len(certified) + len(face) : len(certified) + len(face) + wanted["staff_suspension"]]
        payment = rows[len(certified) + len(face) + len(staff) :][:2000]
        suspended = [row[0] for row in (*certified, *face)]
        connection.execute(  # suspended (S01) since 2025, as the nightly rule leaves them
            "UPDATE retiree SET status = 'suspended', suspension_reason = %s, resume_to = 'registered',"
            " institution_id = %s, registered_on = DATE '2024-01-02', last_certified_on = DATE '2024-06-01',"
            " status_since = DATE '2025-01-01' WHERE id = ANY(%s)",
            (ReasonCode.CERTIFICATION_OVERDUE.value, community, suspended),
        )
        connection.execute(
            "UPDATE retiree SET status = 'registered', institution_id = %s, registered_on = DATE '2024-01-02',"
            " last_certified_on = CURRENT_DATE - 30, status_since = DATE '2024-01-02' WHERE id = ANY(%s)",
            (community, [row[0] for row in staff]),
        )
        connection.commit()
    return Cast(
        payment=[row[1] for row in payment],
        certified=[row[1] for row in certified],
        face=[(row[1], row[2]) for row in face],
        staff=[row[0] for row in staff],
    )


def _tree(connection: psycopg.Connection) -> int:
    """City, district, street and community (the benchmark's own codes); the community's id."""
    parent_id: int | None = None
    parent_path = "/"
    for level, code, name in (
        ("city", "BENCHC", "压测市社保局"),
        ("district", "BENCHD", "压测区社保中心"),
        ("street", "BENCHS", "压测街道"),
        ("community", "BENCHQ", "压测社区"),
    ):
        found = connection.execute("SELECT id, path FROM institution WHERE code = %s", (code,)).fetchone()
        if found is None:
            inserted = connection.execute(
                "INSERT INTO institution (code, name, level, parent_id, path) VALUES (%s, %s, %s, %s, '') RETURNING id",
                (code, name, level, parent_id),
            ).fetchone()
            assert inserted is not None
            path = f"{parent_path}{inserted[0]}/"
            connection.execute("UPDATE institution SET path = %s WHERE id = %s", (path, inserted[0]))
            found = (inserted[0], path)
        parent_id, parent_path = int(found[0]), str(found[1])
    assert parent_id is not None
    return parent_id


# -- the load ------------------------------------------------------------------------------------------------------


@dataclass
class Endpoints:
    simulator: str  # the provincial simulator's base URL
    simulator_database: str  # its database (SQLAlchemy URL), where the platform's own changes are written
    api: str  # hub api's base URL


async def drive(endpoints: Endpoints, cast: Cast, rate: int, seconds: int, sent: Sent) -> None:
    """The load, second by second. The platform's certifications are appended to its feed through the simulator's
    store in this process (an HTTP call each would make the load generator, on the same two cores, the bottleneck);
    the face results and the staff commands are real HTTP calls to `hub api`."""
    store = Store(endpoints.simulator_database, pool_size=2)
    try:
        await _drive(endpoints, cast, rate, seconds, sent, store)
    finally:
        await store.engine.dispose()


async def _drive(endpoints: Endpoints, cast: Cast, rate: int, seconds: int, sent: Sent, store: Store) -> None:
    counts = per_second(rate)
    token, _ = issue_token(BENCH_SECRET_KEY, OPERATOR, "staff", 24 * 60)
    limits = httpx.Limits(max_connections=64)
    # The server's date, at nine in the morning in China: a certification of today wherever the clock is.
    certified_at = datetime.combine(date.today(), clock_time(9), tzinfo=CHINA_TZ)
    async with (
        httpx.AsyncClient(base_url=endpoints.simulator, timeout=30, limits=limits) as platform,
        httpx.AsyncClient(base_url=endpoints.api, timeout=30, limits=limits) as api,
    ):

        async def payment(index: int) -> None:
            people = cast.payment[(index * counts["payment_status"]) % len(cast.payment) :][: counts["payment_status"]]
            body = {"count": counts["payment_status"], "kinds": ["PAYMENT_STATUS"], "aac001s": people or cast.payment}
            (await platform.post("/admin/changes", json=body)).raise_for_status()
            sent.payment_changes += counts["payment_status"]

        async def certifications(people: Sequence[str]) -> None:
            today = date.today().isoformat()
            records = [
                (
                    person,
                    {
                        "aac001": person,
                        "certNo": f"RZ{uuid.uuid4().hex[:16].upper()}",
                        "certMethod": "1",
                        "certDate": today,
                        "certResult": "1",
                        "certOrg": "130102001",
                    },
                )
                for person in people
            ]
            await store.append_raw_changes("CERTIFICATION", records)
            sent.certified.extend(people)

        async def face(person: tuple[str, str]) -> None:
            body = encode(make_result(person[0], person[1], certified_at=certified_at))
            sent.face[person[0]] = datetime.now(UTC)
            response = await api.post(
                "/api/v1/auth-platform/face-results", content=body, headers=signed_request(BENCH_WEBHOOK_SECRET, body)
            )
            if response.status_code >= 300:
                sent.refused[f"face {response.status_code}"] = sent.refused.get(f"face {response.status_code}", 0) + 1

        async def suspension(retiree_id: int) -> None:
            sent.staff[retiree_id] = datetime.now(UTC)
            response = await api.post(
                "/api/v1/retirees/suspensions",
                json={"retiree_ids": [retiree_id], "effective_date": date.today().isoformat(), "remarks": "压测暂停"},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code >= 300 or not response.json()[0]["done"]:
                sent.refused["staff"] = sent.refused.get("staff", 0) + 1

        # Waiting requests queue here, not in httpx's pool (whose queue costs CPU quadratic in its length).
        in_flight = asyncio.Semaphore(48)

        async def at(offset: float, call: Awaitable[None]) -> None:
            await asyncio.sleep(offset)
            async with in_flight:
                await call

        # Each second's requests are spread over that second and never wait for the previous second's answers:
        # the offered rate stays the rate asked for however slowly the hub answers (an open-loop load).
        loop = asyncio.get_running_loop()
        started = loop.time()
        seconds_sent: list[asyncio.Future[list[BaseException | None]]] = []
        for second in range(seconds):
            work: list[Awaitable[None]] = [payment(second)]
            work.append(certifications(_slice(cast.certified, second, counts["provincial_certification"])))
            work += [face(p) for p in _slice(cast.face, second, counts["face_result"])]
            work += [suspension(r) for r in _slice(cast.staff, second, counts["staff_suspension"])]
            offsets = [(i * 7919 % len(work)) / len(work) for i in range(len(work))]  # the flows interleaved
            seconds_sent.append(
                asyncio.gather(*(at(o, call) for o, call in zip(offsets, work, strict=True)), return_exceptions=True)
            )
            await asyncio.sleep(max(0.0, started + second + 1 - loop.time()))
        for outcomes in await asyncio.gather(*seconds_sent):
            for failure in outcomes:
                if isinstance(
                    failure, httpx.HTTPError | SQLAlchemyError
                ):  # counted, not fatal: the figures say how many
                    sent.refused[type(failure).__name__] = sent.refused.get(type(failure).__name__, 0) + 1
                elif isinstance(failure, BaseException):
                    raise failure


def _slice(items: Sequence[T], second: int, count: int) -> Sequence[T]:
    return items[second * count : (second + 1) * count]


# -- measuring -----------------------------------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] * 1000, 1)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


Histogram = dict[tuple[str, str], dict[float, float]]  # (flow, leg) -> upper bound -> cumulative count


async def scrape(urls: Sequence[str]) -> Histogram:
    """hub_provincial_exchange_seconds from each process's /metrics, summed."""
    found: Histogram = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for url in urls:
            text = (await client.get(url)).text
            for line in text.splitlines():
                if not line.startswith("hub_provincial_exchange_seconds_bucket{"):
                    continue
                labels, value = line.rsplit(" ", 1)
                parts = dict(part.split("=", 1) for part in labels[labels.index("{") + 1 : -1].split(","))
                flow, leg, bound = (parts[name].strip('"') for name in ("flow", "leg", "le"))
                buckets = found.setdefault((flow, leg), {})
                upper = math.inf if bound == "+Inf" else float(bound)
                buckets[upper] = buckets.get(upper, 0.0) + float(value)
    return found


def metric_percentiles(before: Histogram, after: Histogram) -> dict[str, dict[str, float]]:
    """Per flow and leg, the observations between the two scrapes: p50/p95/p99 as the upper bound of the bucket
    holding them (what a Prometheus histogram can say)."""
    result = {}
    for (flow, leg), buckets in sorted(after.items()):
        earlier = before.get((flow, leg), {})
        delta = sorted((bound, count - earlier.get(bound, 0.0)) for bound, count in buckets.items())
        total = delta[-1][1] if delta else 0.0
        if total <= 0:
            continue

        def upper(share: float, delta: list[tuple[float, float]] = delta, total: float = total) -> float:
            return next(bound for bound, count in delta if count >= share * total)

        figures = {"n": total, **{f"p{int(s * 100)}_le_s": upper(s) for s in (0.5, 0.95, 0.99)}}
        result[f"{flow} {leg}"] = figures
    return result


def timestamps(simulator_dsn: str, hub_dsn: str, sent: Sent) -> dict[str, dict[str, float]]:
    """Latency per flow from timestamps: the simulator's time of the change (or the benchmark's time of the call) to
    the simulator's time of the push's arrival."""
    staff_numbers = dict(zip(list(sent.staff), _numbers(hub_dsn, list(sent.staff)), strict=True))
    with psycopg.connect(simulator_dsn, autocommit=True) as platform:
        certified = platform.execute(
            "SELECT extract(epoch FROM p.received_at - c.changed_at) FROM change_record c"
            " JOIN business_record p ON p.aac001 = c.aac001 AND p.business_type = 'RESUME'"
            " WHERE c.kind = 'CERTIFICATION' AND c.aac001 = ANY(%s)",
            (sent.certified,),
        ).fetchall()
        arrivals: dict[str, datetime] = dict(
            platform.execute(
                "SELECT aac001 || ':' || business_type, received_at FROM business_record WHERE aac001 = ANY(%s)",
                (list(sent.face) + list(staff_numbers.values()),),
            ).fetchall()
        )
    face = [
        (arrivals[f"{person}:RESUME"] - at).total_seconds()
        for person, at in sent.face.items()
        if f"{person}:RESUME" in arrivals
    ]
    staff = [
        (arrivals[f"{staff_numbers[rid]}:SUSPEND"] - at).total_seconds()
        for rid, at in sent.staff.items()
        if f"{staff_numbers[rid]}:SUSPEND" in arrivals
    ]
    return {
        "provincial certification -> RESUME acknowledged": percentiles([float(row[0]) for row in certified]),
        "face result -> RESUME acknowledged": percentiles(face),
        "staff suspension -> SUSPEND acknowledged": percentiles(staff),
    }


def _numbers(hub_dsn: str, retiree_ids: list[int]) -> list[str]:
    with psycopg.connect(hub_dsn, autocommit=True) as connection:
        found: dict[int, str] = dict(
            connection.execute("SELECT id, personal_number FROM retiree WHERE id = ANY(%s)", (retiree_ids,)).fetchall()
        )
    return [found[rid] for rid in retiree_ids]


def pushes_arrived(simulator_dsn: str, sent: Sent, hub_dsn: str) -> int:
    expected = [*sent.certified, *sent.face, *_numbers(hub_dsn, list(sent.staff))]
    with psycopg.connect(simulator_dsn, autocommit=True) as platform:
        row = platform.execute(
            "SELECT count(DISTINCT aac001) FROM business_record WHERE aac001 = ANY(%s)", (expected,)
        ).fetchone()
    return int(row[0]) if row else 0


async def wait_all_pushed(simulator_dsn: str, hub_dsn: str, sent: Sent, limit: float) -> float:
    expected = len(sent.certified) + len(sent.face) + len(sent.staff) - sum(sent.refused.values())
    started = time.perf_counter()
    while pushes_arrived(simulator_dsn, sent, hub_dsn) < expected:
        if time.perf_counter() - started > limit:
            break
        await asyncio.sleep(1.0)
    return time.perf_counter() - started


# -- the scenarios -------------------------------------------------------------------------------------------------


@dataclass
class Context:
    hub_dsn: str
    simulator_dsn: str
    bootstrap_servers: str
    prefix: str
    endpoints: Endpoints
    metrics_urls: list[str]
    stop_broker: Callable[[], None]
    start_broker: Callable[[], None]


async def steady(context: Context, cast: Cast, rate: int, seconds: int) -> dict[str, Any]:
    """Scenario 2: the mix at ``rate`` events/s for ``seconds``; then until every push has arrived."""
    before = await scrape(context.metrics_urls)
    sent = Sent()
    started = time.perf_counter()
    await drive(context.endpoints, cast, rate, seconds, sent)
    drained = await wait_all_pushed(context.simulator_dsn, context.hub_dsn, sent, 300)
    after = await scrape(context.metrics_urls)
    return {
        "rate_per_second": rate,
        "seconds": seconds,
        "sent": {
            "payment_status": sent.payment_changes,
            "provincial_certification": len(sent.certified),
            "face_result": len(sent.face),
            "staff_suspension": len(sent.staff),
        },
        "refused": sent.refused,
        "load_seconds": round(time.perf_counter() - started - drained, 1),
        "pushes_drained_after_load_s": round(drained, 1),
        "timestamps": timestamps(context.simulator_dsn, context.hub_dsn, sent),
        "hub_metric": metric_percentiles(before, after),
    }


async def recovery(context: Context, cast: Cast, rate: int, outage_seconds: int = 30) -> dict[str, Any]:
    """Scenario 5: the same load for 20 s, then the broker stopped for ``outage_seconds`` (the load goes on), then
    60 s more. What the platform has to wait for is the work sent before the broker was back — the changes read
    from the platform, the staff's suspensions and the face results accepted — so the figure is the time from the
    broker's return until the last of their pushes arrived; and until the consumers' lag was 0 after the load."""
    sent = Sent()
    load_seconds = 20 + outage_seconds + 60
    load = asyncio.create_task(drive(context.endpoints, cast, rate, load_seconds, sent))
    await asyncio.sleep(20)
    await asyncio.to_thread(context.stop_broker)
    await asyncio.sleep(outage_seconds)
    await asyncio.to_thread(context.start_broker)
    back, back_at = time.perf_counter(), datetime.now(UTC)
    await load
    await wait_all_pushed(context.simulator_dsn, context.hub_dsn, sent, 600)
    lags = ("registry", "provincial-push")
    while sum([await group_lag(context.bootstrap_servers, group, context.prefix) for group in lags]) > 0:  # noqa: ASYNC110
        await asyncio.sleep(1.0)
    lag_zero = time.perf_counter() - back
    return {
        "outage_seconds": outage_seconds,
        "load_seconds": load_seconds,
        "backlog_pushed_after_broker_back_s": backlog_delivered(context, sent, back_at),
        "lag_zero_after_broker_back_s": round(lag_zero, 1),
        "refused_during_outage": sent.refused,
        "timestamps": timestamps(context.simulator_dsn, context.hub_dsn, sent),
    }


def backlog_delivered(context: Context, sent: Sent, back_at: datetime) -> float | None:
    """Seconds from ``back_at`` to the arrival of the last push caused by work sent before it."""
    staff = dict(zip(list(sent.staff), _numbers(context.hub_dsn, list(sent.staff)), strict=True))
    before = [person for person, at in sent.face.items() if at < back_at]
    before += [staff[rid] for rid, at in sent.staff.items() if at < back_at]
    with psycopg.connect(context.simulator_dsn, autocommit=True) as platform:
        certified = platform.execute(
            "SELECT aac001 FROM change_record WHERE kind = 'CERTIFICATION' AND aac001 = ANY(%s) AND changed_at < %s",
            (sent.certified, back_at),
        ).fetchall()
        before += [row[0] for row in certified]
        last = platform.execute(
            "SELECT max(received_at) FROM business_record WHERE aac001 = ANY(%s)", (before,)
        ).fetchone()
    if last is None or last[0] is None:
        return None
    return round(max(0.0, float((last[0] - back_at).total_seconds())), 1)
