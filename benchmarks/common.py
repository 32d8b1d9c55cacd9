"""What every benchmark returns: rows of one table (see `benchmarks/__main__.py`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    """One measured case next to its floor (the same work done the plainest way, in the same
    run). `ratio` is value / floor when there is a floor; `ok` says whether the target is met
    (None when the case has no target)."""

    benchmark: str
    case: str
    value: float
    floor: float | None
    unit: str
    target: str
    ok: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0:
            return None
        return self.value / self.floor
