"""Printing never blocks the API (issue 15 follow-up): while a big 5.1 ledger PDF renders in a printing thread, the
same process answers /health and a small ledger list within a deadline far below the print's duration, and the print
is still whole and correct. A burst of prints beyond HUB_PRINT_CONCURRENCY queues for a slot and every one answers.

Figures (the print's duration, the slowest answer while it ran) are printed with ``-s``."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

import httpx
import pytest
from pdfminer.high_level import extract_text
from pdfminer.pdfpage import PDFPage
from sqlalchemy import delete, text
from sqlmodel import col

from channels.printing import pdf as printing_pdf
from channels.printing import threads as printing_threads
from channels.printing.document import Row
from domain.retirees.models import Retiree
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

LEDGERS = "/api/v1/ledgers"
PEOPLE = 6_000  # about two seconds of drawing on this machine: long enough to ask the API something meanwhile
DEADLINE = 1.0  # seconds an answer may take at most while the print renders (it takes a fifth of that or less)


@pytest.fixture
async def aged_community(registry_hub: Hub) -> AsyncIterator[dict[str, Any]]:
    """A fresh tree whose first community manages PEOPLE retirees aged 90 (the 高龄 ledger), seeded set-based."""
    tag = uuid.uuid4().hex[:8].upper()
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        await session.execute(
            text(
                """
                INSERT INTO retiree (personal_number, id_number, name, sex, birth_date, insuring_agency_code,
                                     payment_status, management_form, institution_id, status, phone, version)
                SELECT 'PC' || :tag || lpad(n::text, 6, '0'), 'PCX' || :tag || lpad(n::text, 7, '0'),
                       '高龄' || n, '1', :birth, '130102', '1', '1', :community, 'registered', '13803112345', 1
                FROM generate_series(1, :people) AS n
                """
            ),
            {"tag": tag, "birth": date(1936, 1, 1), "community": community.id, "people": PEOPLE},
        )
        user = (await factories.account(session, tree.district, "operator")).username
    yield {"tree": tree, "user": user, "tag": tag}
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(delete(Retiree).where(col(Retiree.personal_number).startswith(f"PC{tag}")))


def _count_pages(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], asyncio.Event]:
    """The rows of each page drawn so far (by the printing thread), and an event set once two pages are drawn."""
    drawn: list[int] = []
    under_way = asyncio.Event()
    loop = asyncio.get_running_loop()
    draw = printing_pdf._Pages.draw

    def counting(self: Any, rows: Sequence[Row]) -> None:
        draw(self, rows)
        drawn.append(len(rows))
        if len(drawn) == 2:
            loop.call_soon_threadsafe(under_way.set)

    monkeypatch.setattr(printing_pdf._Pages, "draw", counting)
    return drawn, under_way


async def _timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = await call
    return answer, time.monotonic() - started


async def test_5_1_printing_a_big_ledger_pdf_leaves_the_api_answering(
    api: Api, aged_community: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn, under_way = _count_pages(monkeypatch)
    token = await api.token(aged_community["user"])
    started = time.monotonic()
    printing = asyncio.create_task(api.call("GET", f"{LEDGERS}/aged.pdf", token))
    async with asyncio.timeout(20):
        await under_way.wait()
    assert not printing.done(), "the print finished before anything could be asked meanwhile: seed more people"

    waits: list[float] = []
    answered = 0
    while not printing.done():  # ask again and again for as long as the print renders
        health, took = await _timed(api.client.get("/health"))
        assert health.status_code == 200 and health.json()["status"] == "ok"
        waits.append(took)
        listed, took = await _timed(api.call("GET", f"{LEDGERS}/aged?size=20", token))
        assert listed.status_code == 200 and listed.json()["total"] == PEOPLE
        waits.append(took)
        answered += 1
    answer = await printing
    duration = time.monotonic() - started
    print(
        f"\nprint of {PEOPLE} rows: {duration:.2f} s; {answered} health+list pairs answered meanwhile, "
        f"slowest {max(waits) * 1000:.0f} ms, median {sorted(waits)[len(waits) // 2] * 1000:.0f} ms"
    )
    # Drawing on the event loop (as before) answers only between the cursor's fetches: a few rounds, each waiting
    # for a fetch's worth of drawing (median about half a second, slowest most of a second, during a 3.4 s print).
    slowest, median = max(waits), sorted(waits)[len(waits) // 2]
    assert answered >= 5, f"only {answered} rounds answered during a {duration:.2f} s print"
    assert median < duration / 10, f"median answer {median:.2f} s during a {duration:.2f} s print"
    assert slowest < min(DEADLINE, duration / 5), f"slowest answer {slowest:.2f} s during a {duration:.2f} s print"

    # the print is still whole and right
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    per_page = max(drawn)
    pages = -(-PEOPLE // per_page)
    assert sum(drawn) == PEOPLE and len(drawn) == pages
    assert len(list(PDFPage.get_pages(io.BytesIO(answer.content)))) == pages
    tag = aged_community["tag"]
    first, last = (extract_text(io.BytesIO(answer.content), page_numbers=[number]) for number in (0, pages - 1))
    assert "高龄老人台账" in first and f"第 1 页 共 {pages} 页" in first and f"PC{tag}000001 高龄1\n" in first
    assert f"第 {pages} 页 共 {pages} 页" in last and f"PC{tag}{PEOPLE:06d} 高龄{PEOPLE}\n" in last


async def test_printing_a_burst_beyond_the_slots_queues_and_every_print_answers(
    api: Api, aged_community: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three prints with one slot: they render one after another (never two at once), and all three answer."""
    monkeypatch.setattr(printing_threads, "_concurrency", 1)
    monkeypatch.setattr(printing_threads, "_slots", WeakKeyDictionary())
    rendering = 0
    most = 0
    render = printing_pdf.render_pdf

    async def watched(*args: Any, **kwargs: Any) -> int:
        nonlocal rendering, most
        rendering += 1
        most = max(most, rendering)
        try:
            return await render(*args, **kwargs)
        finally:
            rendering -= 1

    monkeypatch.setattr("channels.printing.response.render_pdf", watched)
    token = await api.token(aged_community["user"])
    institution = aged_community["tree"].communities[1].id  # an empty community: a one-page print each
    answers = await asyncio.gather(
        *(api.call("GET", f"{LEDGERS}/aged.pdf?institution_id={institution}", token) for _ in range(3))
    )
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert most == 1
    for answer in answers:
        assert "无数据" in extract_text(io.BytesIO(answer.content))
