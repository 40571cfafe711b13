"""Quiet hours (issue 20, the 1.4 parameter ``notification_quiet_hours``): no push at night, held until morning.

The value is "HH:MM-HH:MM" in the city's time (Asia/Shanghai); a window may cross midnight ("22:00-07:00"); an
empty window ("00:00-00:00") means no quiet hours. Pure functions of a time: the push group's gate asks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from domain.shared.calendar import BUSINESS_TZ

_RANGE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, value: str) -> QuietHours:
        """Raises ValueError for anything but "HH:MM-HH:MM"."""
        found = _RANGE.fullmatch(value.strip())
        if found is None:
            raise ValueError(f"not a time range HH:MM-HH:MM: {value!r}")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        return cls(time(h1, m1), time(h2, m2))

    def holds_at(self, moment: datetime) -> bool:
        """Whether pushes are held at ``moment`` (any zone; compared in the city's time)."""
        local = moment.astimezone(BUSINESS_TZ).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """When the window holding ``moment`` ends (``moment`` itself if it holds nothing)."""
        if not self.holds_at(moment):
            return moment
        local = moment.astimezone(BUSINESS_TZ)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end
