"""The business calendar: dates are the city's (Asia/Shanghai), whatever time zone the server's clock is set to.

A certification dated by the platform in China time must compare with "today" in China time: between 16:00 and
24:00 UTC the two calendars differ by a day, and a server on UTC would otherwise find today's certification to be
in the future.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in the city."""
    return datetime.now(BUSINESS_TZ).date()
