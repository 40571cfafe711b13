"""Translating the authentication platform's face results (docs/auth-platform-contract.md) into the hub's
``certification.recorded`` event, and retirees into the platform's share format.

Only this module knows the platform's field names. A body that is not a valid result raises
:class:`ResultRefused` naming the field and the problem, in Chinese for whoever reads the platform's logs.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.retirees.idnumber import IdNumber, InvalidIdNumber

CHINA = ZoneInfo("Asia/Shanghai")
PLATFORM_NAME = "认证服务平台"
# Event ids derived from the result id: the same result pushed twice (a race between two retries) is one event.
RESULT_EVENT_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4f0e-9a57-2b8f6d1c0e11")
_PERSONAL_NUMBER = re.compile(r"^[0-9A-Za-z]{1,20}$")
_RESULT_ID = re.compile(r"^[0-9A-Za-z_.:-]{1,64}$")
MAX_CLOCK_SKEW = timedelta(minutes=5)


class ResultRefused(Exception):
    """The body is not a valid face result; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class FaceResult:
    result_id: str
    personal_number: str
    id_number: str
    certified_at: datetime
    passed: bool
    score: float | None = None
    device_id: str | None = None

    @property
    def certified_on(self) -> date:
        """The certification's day is the day in China, whatever offset the platform wrote."""
        return self.certified_at.astimezone(CHINA).date()

    @property
    def event_id(self) -> str:
        return str(uuid.uuid5(RESULT_EVENT_NAMESPACE, self.result_id))

    def event_data(self) -> dict[str, Any]:
        """The ``certification.recorded`` payload (schemas/certification.recorded.v1.json)."""
        return {
            "personal_number": self.personal_number,
            "certification_id": self.result_id,
            "source": "face_recognition",
            "method": "face",
            "certified_on": self.certified_on.isoformat(),
            "result": "passed" if self.passed else "failed",
            "certified_by": PLATFORM_NAME,
        }


def _text(body: Mapping[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise ResultRefused(name, f"缺少必填字段 {name}")
    if not isinstance(value, str):
        raise ResultRefused(name, f"字段 {name} 应为字符串")
    if pattern is not None and not pattern.match(value):
        raise ResultRefused(name, f"字段 {name} 格式不正确：{value[:40]!r}")
    return value


def parse_result(raw: bytes, *, now: datetime) -> FaceResult:
    """Validate one pushed body. ``now`` bounds ``certifiedAt``: a result from the future is refused."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultRefused("body", f"请求体不是合法的 JSON：{error}") from None
    if not isinstance(body, dict):
        raise ResultRefused("body", "请求体应为 JSON 对象")
    result_id = _text(body, "resultId", _RESULT_ID)
    personal_number = _text(body, "personalNumber", _PERSONAL_NUMBER)
    try:
        id_number = IdNumber.parse(_text(body, "idNumber")).value
    except InvalidIdNumber as error:
        raise ResultRefused("idNumber", error.message) from None
    certified_text = _text(body, "certifiedAt")
    try:
        certified_at = datetime.fromisoformat(certified_text)
    except ValueError:
        raise ResultRefused("certifiedAt", f"认证时间格式不正确：{certified_text[:40]!r}") from None
    if certified_at.tzinfo is None:
        raise ResultRefused("certifiedAt", "认证时间必须带时区，例如 2026-11-23T09:15:02+08:00")
    if certified_at > now + MAX_CLOCK_SKEW:
        raise ResultRefused("certifiedAt", "认证时间晚于当前时间")
    outcome = _text(body, "result")
    if outcome not in ("passed", "failed"):
        raise ResultRefused("result", f"认证结果应为 passed 或 failed，收到 {outcome[:20]!r}")
    score = body.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1):
        raise ResultRefused("score", "相似度应为 0 到 1 之间的数值")
    device_id = body.get("deviceId")
    if device_id is not None and not isinstance(device_id, str):
        raise ResultRefused("deviceId", "设备编号应为字符串")
    return FaceResult(
        result_id=result_id,
        personal_number=personal_number,
        id_number=id_number,
        certified_at=certified_at,
        passed=outcome == "passed",
        score=float(score) if score is not None else None,
        device_id=device_id,
    )


def share_person(
    personal_number: str,
    id_number: str,
    name: str,
    sex: str,
    birth_date: date,
    insuring_agency: str | None,
    shared_at: datetime,
) -> dict[str, Any]:
    """One person of a ``/v1/persons:batch`` body."""
    return {
        "personalNumber": personal_number,
        "idNumber": id_number,
        "name": name,
        "sex": sex,
        "birthDate": birth_date.isoformat(),
        "insuringAgency": insuring_agency,
        "sharedAt": shared_at.astimezone(CHINA).isoformat(),
    }
