"""Who is acting: a member of staff, a channel app on a retiree's behalf, or the system itself (a sync, a rule).

Every service call takes an :class:`Actor`; scope checks and the audit trail read it, so no query can forget whose
subtree it runs over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["staff", "channel", "system"]


@dataclass(frozen=True)
class Actor:
    name: str
    kind: ActorKind
    role: str | None = None
    institution_id: int | None = None
    institution_path: str = "/"  # the actor's own institution subtree; "/" is the whole city
    scope_path: str | None = None  # 1.3: a narrower query scope inside the subtree, if the actor has set one
    source: str | None = None  # where the request came from (client address), for the audit trail

    @property
    def query_path(self) -> str:
        """The subtree lists and reports run over (1.3): the chosen scope, else the whole own subtree."""
        return self.scope_path or self.institution_path

    @property
    def is_city_level(self) -> bool:
        return self.institution_path.count("/") <= 2  # "/<root id>/" or "/"

    def covers(self, path: str | None) -> bool:
        """Whether an institution (by its path) lies in the actor's own subtree. A record with no institution is
        seen by the city level only: access is deny-by-default."""
        if path is None:
            return self.is_city_level
        return path.startswith(self.institution_path)


def system_actor(name: str) -> Actor:
    return Actor(name=name, kind="system", role="system", institution_path="/")
