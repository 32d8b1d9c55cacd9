"""The trust trend chart renders a valid PNG, with and without rounds whose results are hidden."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime

from bot.charts import PNG_SIGNATURE, TrendRound, trust_trend_png

LABELS = {
    "expectations": "Expectations are clear",
    "follow_through": "Partners did what they said",
    "reliance": "Willing to rely on partners",
    "fair_say": "A fair say",
}


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk of a PNG as (type, data), each checked against its CRC."""
    assert png.startswith(PNG_SIGNATURE)
    found, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + data) == crc, kind
        found.append((kind, data))
        at += 12 + length
    return found


def size(png: bytes) -> tuple[int, int]:
    kind, data = chunks(png)[0]
    assert kind == b"IHDR"
    return struct.unpack(">II", data[:8])


def shown(label: str, value: float, organisations: int = 4) -> TrendRound:
    return TrendRound(
        label=label,
        shown=True,
        organisations=organisations,
        means=dict.fromkeys(LABELS, value) | {"fair_say": None},
        closed_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_a_trend_of_shown_rounds_is_a_valid_png():
    png = trust_trend_png([shown("R1", 3.0), shown("R2", 3.4), shown("R3", 4.1)], LABELS)
    kinds = [kind for kind, _ in chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    assert size(png) == (800, 450)


def test_a_suppressed_round_is_drawn_as_a_gap_and_still_a_valid_png():
    hidden = TrendRound(label="R2", shown=False, organisations=2, turnover="−2")
    with_gap = trust_trend_png([shown("R1", 3.0), hidden, shown("R3", 4.0, 3)], LABELS)
    without = trust_trend_png([shown("R1", 3.0), shown("R2", 3.5), shown("R3", 4.0, 3)], LABELS)
    assert [k for k, _ in chunks(with_gap)][-1] == b"IEND"
    assert size(with_gap) == size(without)
    assert with_gap != without  # the hidden round is drawn differently, not as a value


def test_only_suppressed_rounds_or_none_at_all_still_render():
    only_hidden = [TrendRound(label=f"R{n}", shown=False, organisations=1) for n in (1, 2)]
    for rounds in (only_hidden, []):
        assert chunks(trust_trend_png(rounds, LABELS))[-1][0] == b"IEND"
