"""The provincial platform simulator (simulators/provincial/) against a real zeep client: the contract of
docs/provincial-contract.md operation by operation, and every fault mode the connector must survive.

The simulator runs under uvicorn in a background thread on a free port, on the provincial_sim_test database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import httpx
import psycopg
import pytest
import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport

from tests.support.provincial import TEST_DATABASE_URL

pytestmark = pytest.mark.integration

TNS = "{urn:hebei:hrss:retiree-exchange:v1}"


@pytest.fixture
def admin(simulator_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator_url, timeout=30) as client:
        client.post("/admin/reset").raise_for_status()
        yield client
        client.delete("/admin/faults").raise_for_status()


@pytest.fixture
def client(simulator_url: str, admin: httpx.Client) -> zeep.Client:
    return zeep.Client(f"{simulator_url}/wsdl", transport=Transport(timeout=10, operation_timeout=10))


def _changes(admin: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    response = admin.post("/admin/changes", json=body)
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()["records"]
    return records


def _push(client: zeep.Client, key: str, aac001: str, business_type: str = "SUSPEND") -> Any:
    return client.service.PushBusinessRecord(
        idempotencyKey=key,
        aac001=aac001,
        businessType=business_type,
        reasonCode="11",
        effectiveDate=date(2026, 1, 1),
        enteredAt=datetime(2026, 1, 2, 9, 30),
        orgCode="130102",
    )


def test_wsdl_names_service_port_and_own_address(client: zeep.Client, simulator_url: str) -> None:
    """The WSDL loads in zeep with the contract's service, port and the four operations, addressed to itself."""
    service = client.wsdl.services["RetireeExchangeService"]
    port = service.ports["RetireeExchangePort"]
    assert port.binding_options["address"] == f"{simulator_url}/soap"
    assert set(port.binding._operations) == {"GetChanges", "GetRetiree", "PushBusinessRecord", "GetStatusDigest"}
    assert httpx.get(f"{simulator_url}/soap?wsdl").status_code == 200


def test_get_changes_pages_by_cursor_in_order(admin: httpx.Client, client: zeep.Client) -> None:
    """2.1, 2.2, 2.4, 2.5, 2.6, 1.5: every kind arrives with its payload element; paging by nextCursor returns each
    record once in seq order, hasMore false on the last page; re-reading from an old cursor gives the same ids."""
    created = _changes(admin, count=3, kinds=["NEW_RETIREE"], seed=1)
    created += _changes(
        admin,
        count=12,
        kinds=["EMPLOYER", "PAYMENT_STATUS", "ADJUSTMENT", "CERTIFICATION", "CORRECTION", "NEW_RETIREE"],
        seed=2,
    )
    seen: list[str] = []
    cursor, pages = "", 0
    while True:
        page = client.service.GetChanges(cursor=cursor, maxRecords=4)
        pages += 1
        for record in page.records:
            element = {
                "EMPLOYER": "employer",
                "NEW_RETIREE": "retiree",
                "PAYMENT_STATUS": "paymentStatus",
                "ADJUSTMENT": "adjustment",
                "CERTIFICATION": "certification",
                "CORRECTION": "correction",
            }[record.kind]
            assert record[element] is not None
            assert isinstance(record.changedAt, datetime)
            seen.append(record.recordId)
        cursor = page.nextCursor
        if not page.hasMore:
            break
    assert pages == 4
    assert seen == [c["record_id"] for c in sorted(created, key=lambda c: c["seq"])]
    again = client.service.GetChanges(cursor=str(created[3]["seq"]), maxRecords=2)
    assert [r.recordId for r in again.records] == seen[4:6]
    empty = client.service.GetChanges(cursor=cursor, maxRecords=10)
    assert empty.records == [] and empty.hasMore is False and empty.nextCursor == cursor


def test_get_changes_filters_kinds(admin: httpx.Client, client: zeep.Client) -> None:
    """2.6 / 2.4: a kinds filter returns only those kinds; payloads are consistent with the platform's retiree."""
    people = [c["aac001"] for c in _changes(admin, count=2, kinds=["NEW_RETIREE"], seed=3)]
    _changes(admin, count=8, kinds=["CERTIFICATION", "PAYMENT_STATUS"], aac001s=people, seed=4)
    page = client.service.GetChanges(cursor="", kinds=["CERTIFICATION"], maxRecords=100)
    assert [r.kind for r in page.records] == ["CERTIFICATION"] * 4
    assert {r.certification.aac001 for r in page.records} <= set(people)
    statuses = client.service.GetChanges(cursor="", kinds=["PAYMENT_STATUS"], maxRecords=100).records
    last = statuses[-1].paymentStatus
    assert client.service.GetRetiree(aac001=last.aac001).aae116 == last.newAae116


def test_get_changes_refuses_bad_requests(client: zeep.Client) -> None:
    """A cursor the platform did not issue and an out-of-range maxRecords are soap:Client faults."""
    with pytest.raises(Fault) as bad_cursor:
        client.service.GetChanges(cursor="not-a-cursor", maxRecords=10)
    assert bad_cursor.value.code == "soap:Client"
    assert bad_cursor.value.detail.find(f"{TNS}errorCode").text == "InvalidCursor"
    with pytest.raises(Fault) as too_many:
        client.service.GetChanges(cursor="", maxRecords=1001)
    assert too_many.value.code == "soap:Client"


def test_get_retiree_found_and_not_found(admin: httpx.Client, client: zeep.Client) -> None:
    """Reconciliation / re-pull: GetRetiree answers the current base info (a CORRECTION (1.5) applied), and a
    soap:Client fault with errorCode NotFound and a Chinese message for an unknown number."""
    [created] = _changes(admin, count=1, kinds=["NEW_RETIREE"], seed=5)
    _changes(admin, count=1, kinds=["CORRECTION"], aac001s=[created["aac001"]], seed=6)
    retiree = client.service.GetRetiree(aac001=created["aac001"])
    assert retiree.aac001 == created["aac001"]
    assert len(retiree.aac002) == 18 and retiree.aac002.startswith("13")
    assert isinstance(retiree.aac006, date)
    correction = client.service.GetChanges(cursor="", kinds=["CORRECTION"], maxRecords=1).records[0].correction
    for field in ("aac003", "aic162", "aic161", "aab001", "aab034"):
        if correction[field] is not None:
            assert retiree[field] == correction[field]
    with pytest.raises(Fault) as fault:
        client.service.GetRetiree(aac001="1309999999999")
    assert fault.value.code == "soap:Client"
    assert fault.value.detail.find(f"{TNS}errorCode").text == "NotFound"
    assert "未找到" in fault.value.detail.find(f"{TNS}errorMessage").text


def test_push_business_record_detects_duplicates(admin: httpx.Client, client: zeep.Client) -> None:
    """6.22: a repeated idempotencyKey answers duplicate=true with the first receipt, stored once; the platform
    applies the record (SUSPEND sets aae116 2)."""
    [created] = _changes(admin, count=1, kinds=["NEW_RETIREE"], seed=7)
    aac001 = created["aac001"]
    first = _push(client, "evt-1", aac001)
    assert first.accepted is True and first.duplicate is False and first.receiptNo
    again = _push(client, "evt-1", aac001)
    assert again.duplicate is True and again.receiptNo == first.receiptNo
    other = _push(client, "evt-2", aac001, "RESUME")
    assert other.duplicate is False and other.receiptNo != first.receiptNo
    pushes = admin.get("/admin/pushes", params={"aac001": aac001}).json()["pushes"]
    assert [p["idempotencyKey"] for p in pushes] == ["evt-1", "evt-2"]
    assert pushes[0]["record"]["businessType"] == "SUSPEND"
    assert client.service.GetRetiree(aac001=aac001).aae116 == "1"


def test_push_business_record_validates_against_schema(client: zeep.Client, admin: httpx.Client) -> None:
    """6.22: an idempotency key over 64 characters is a soap:Client fault, not a stored record."""
    with pytest.raises(Fault) as fault:
        _push(client, "k" * 65, "1301900000001")
    assert fault.value.code == "soap:Client"
    assert admin.get("/admin/pushes").json()["pushes"] == []


def test_get_status_digest_counts_range(admin: httpx.Client, client: zeep.Client) -> None:
    """Reconciliation: count covers the whole inclusive range, entries at most maxRecords in aac001 order; the
    digest changes when the platform's record changes."""
    people = sorted(c["aac001"] for c in _changes(admin, count=5, kinds=["NEW_RETIREE"], seed=8))
    digest = client.service.GetStatusDigest(fromAac001=people[1], toAac001=people[3], maxRecords=2)
    assert digest.count == 3
    assert [e.aac001 for e in digest.entries] == people[1:3]
    assert all(e.aae116 == "1" and e.statusCode == "1" and len(e.digest) == 64 for e in digest.entries)
    before = digest.entries[0].digest
    _push(client, "evt-death", people[1], "DEATH")
    after = client.service.GetStatusDigest(fromAac001=people[1], toAac001=people[1], maxRecords=10)
    assert after.count == 1
    assert (after.entries[0].aae116, after.entries[0].statusCode) == ("3", "2")
    assert after.entries[0].digest != before
    none = client.service.GetStatusDigest(fromAac001="0", toAac001="1", maxRecords=10)
    assert none.count == 0 and none.entries == []


def test_person_change_rows_commit_out_of_order(admin: httpx.Client) -> None:
    """2.3: exchange.person_change rows as in the contract; out_of_order commits the higher row ids first."""
    people = [c["aac001"] for c in _changes(admin, count=2, kinds=["NEW_RETIREE"], seed=9)]
    response = admin.post(
        "/admin/person-changes",
        json={"count": 6, "aac001s": people, "kinds": ["ADDRESS", "PHONE"], "out_of_order": True, "gap_ms": 50},
    )
    body = response.json()
    assert body["row_ids"] == sorted(body["row_ids"])
    assert body["commit_order"] == body["row_ids"][3:] + body["row_ids"][:3]
    dsn = TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT row_id, aac001, change_kind, new_value, effective_date, synced_at"
            " FROM exchange.person_change ORDER BY row_id"
        ).fetchall()
    assert [row[0] for row in rows] == body["row_ids"]
    assert {row[1] for row in rows} == set(people)
    assert {row[2] for row in rows} <= {"ADDRESS", "PHONE"}
    assert max(row[5] for row in rows[3:]) < min(row[5] for row in rows[:3])


def test_fault_http_5xx(admin: httpx.Client, client: zeep.Client) -> None:
    """Faults: http_5xx_rate answers a gateway error page; zeep raises TransportError with the status."""
    admin.put("/admin/faults", json={"http_5xx_rate": 1.0}).raise_for_status()
    with pytest.raises(TransportError) as error:
        client.service.GetChanges(cursor="", maxRecords=10)
    assert 500 <= error.value.status_code <= 504


def test_fault_soap_server(admin: httpx.Client, client: zeep.Client) -> None:
    """Faults: soap_fault_rate answers a transient soap:Server fault with a Chinese errorMessage."""
    admin.put("/admin/faults", json={"soap_fault_rate": 1.0}).raise_for_status()
    with pytest.raises(Fault) as fault:
        client.service.GetRetiree(aac001="1301900000001")
    assert fault.value.code == "soap:Server"
    assert fault.value.detail.find(f"{TNS}errorCode").text == "SystemBusy"
    assert "系统繁忙" in fault.value.detail.find(f"{TNS}errorMessage").text


def test_fault_malformed_xml(admin: httpx.Client, client: zeep.Client) -> None:
    """Faults: malformed_rate truncates the answer; zeep refuses the invalid XML."""
    _changes(admin, count=2, kinds=["NEW_RETIREE"], seed=10)
    admin.put("/admin/faults", json={"malformed_rate": 1.0}).raise_for_status()
    with pytest.raises((TransportError, etree.XMLSyntaxError)):
        client.service.GetChanges(cursor="", maxRecords=10)


def test_fault_down(admin: httpx.Client, client: zeep.Client) -> None:
    """Faults: down answers 503 to every SOAP call until the faults are cleared."""
    admin.put("/admin/faults", json={"down": True}).raise_for_status()
    for _ in range(2):
        with pytest.raises(TransportError) as error:
            client.service.GetChanges(cursor="", maxRecords=10)
        assert error.value.status_code == 503
    admin.delete("/admin/faults").raise_for_status()
    assert client.service.GetChanges(cursor="", maxRecords=10).hasMore is False


def test_fault_drop_loses_the_answer_not_the_push(admin: httpx.Client, client: zeep.Client) -> None:
    """Faults / 6.22: drop_rate processes the call and closes the connection; the retried push is a duplicate."""
    [created] = _changes(admin, count=1, kinds=["NEW_RETIREE"], seed=11)
    admin.put("/admin/faults", json={"drop_rate": 1.0}).raise_for_status()
    with pytest.raises(requests.exceptions.ConnectionError):
        _push(client, "evt-lost", created["aac001"])
    admin.delete("/admin/faults").raise_for_status()
    assert _push(client, "evt-lost", created["aac001"]).duplicate is True
    assert len(admin.get("/admin/pushes").json()["pushes"]) == 1


def test_fault_latency_duplicates_and_shuffle(admin: httpx.Client, client: zeep.Client) -> None:
    """Faults for GetChanges (2.x): latency delays, duplicate_rate repeats records, shuffle reorders a page; the
    records and the cursor stay the same."""
    created = _changes(admin, count=8, kinds=["NEW_RETIREE"], seed=12)
    ids = [c["record_id"] for c in created]
    admin.put("/admin/faults", json={"latency_ms": 300, "duplicate_rate": 1.0}).raise_for_status()
    started = time.monotonic()
    page = client.service.GetChanges(cursor="", maxRecords=8)
    assert time.monotonic() - started >= 0.3
    assert [r.recordId for r in page.records] == [i for i in ids for _ in range(2)]
    assert page.nextCursor == str(created[-1]["seq"])
    admin.put("/admin/faults", json={"shuffle": True, "seed": 1}).raise_for_status()
    shuffled = client.service.GetChanges(cursor="", maxRecords=8)
    assert sorted(r.recordId for r in shuffled.records) == sorted(ids)
    assert [r.recordId for r in shuffled.records] != ids
    assert shuffled.nextCursor == str(created[-1]["seq"])


def test_admin_refuses_unknown_people(admin: httpx.Client) -> None:
    """Admin: changes for a person the platform does not have are refused, not invented."""
    response = admin.post("/admin/changes", json={"count": 1, "kinds": ["CERTIFICATION"], "aac001s": ["1"]})
    assert response.status_code == 404
    assert admin.post("/admin/changes", json={"count": 1, "kinds": ["ADJUSTMENT"]}).status_code == 409
