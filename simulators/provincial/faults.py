"""Fault injection of the SOAP endpoint, set through PUT /admin/faults: what a flaky provincial platform does."""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field

Rate = Field(default=0.0, ge=0.0, le=1.0)


class Faults(BaseModel):
    """Each rate is the probability per SOAP call. ``drop_rate`` processes the call, then closes the connection
    without an answer (the answer was lost: a PushBusinessRecord is stored all the same); ``malformed_rate``
    answers a truncated envelope (also after processing); ``http_5xx_rate`` and ``soap_fault_rate`` refuse before
    processing. ``duplicate_rate`` repeats a GetChanges record within its page, ``shuffle`` reorders each page;
    ``down`` answers 503 to every SOAP call. ``seed`` makes the draws repeatable."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=600_000)
    http_5xx_rate: float = Rate
    soap_fault_rate: float = Rate
    malformed_rate: float = Rate
    drop_rate: float = Rate
    duplicate_rate: float = Rate
    shuffle: bool = False
    down: bool = False
    seed: int | None = None


class FaultState:
    """The current faults and the random source their draws use."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.rng = random.Random()

    def set(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)

    def clear(self) -> None:
        self.set(Faults())

    def hit(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate
