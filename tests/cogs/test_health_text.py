"""The health embed keeps within Discord's limits however many signals and long names come,
and escapes every piece of user text it shows."""

from __future__ import annotations

from datetime import date

from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_FIELD_LIMIT
from bot.services.health import HealthSignal, HealthView, Participation, Subject
from cogs._health_text import EMBED_TOTAL_LIMIT, fit, health_embed, subject_line

LONG = "Riverside *Children's* Services and Early Help Partnership Board " * 2


def view(signals: list[HealthSignal], name: str = "Family Hubs") -> HealthView:
    return HealthView(name, date(2026, 11, 2), signals, ["goals"], Participation([], {}))


def signal(key: str, level: str = "attention", subjects: int = 5) -> HealthSignal:
    return HealthSignal(
        key=key,
        level=level,
        finding="Something was found. " * 10,
        subjects=tuple(
            Subject(name=LONG, number=n, names=(LONG, LONG), detail="proposed 400 days ago")
            for n in range(subjects)
        ),
        more=40,
        theme="goals",
        action="Do something about it. " * 10,
    )


def test_many_long_signals_fit_discords_limits():
    keys = [
        "goals_unagreed",
        "objections",
        "trust.follow_through_drop",
        "trust.reliance_drop",
        "trust.fair_say_spread",
        "trust.no_small_win",
        "trust.asymmetric_pairs",
        "actions_overdue",
        "unrepresented",
        "participation_falling",
        "churn",
        "no_small_wins",
    ]
    embed = health_embed(view([signal(k) for k in keys], name="P" * 100))
    assert len(embed.fields) == len(keys) <= 25
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert all(len(f.value or "") <= EMBED_FIELD_LIMIT for f in embed.fields)
    assert all(len(f.name or "") <= 256 for f in embed.fields)
    assert len(embed.description or "") <= EMBED_DESCRIPTION_LIMIT
    assert embed.fields[0].name == "Attention · Goals long unagreed"
    assert embed.fields[2].name == "Attention · Trust check-ins"
    # Each field keeps its beginning: the finding is never what is cut.
    assert all((f.value or "").startswith("Something was found.") for f in embed.fields)


def test_fit_leaves_short_values_whole_and_shares_the_rest():
    values = ["a" * 10, "b" * 3000, "c" * 3000]
    fitted = fit(values, 1000)
    assert fitted[0] == "a" * 10
    assert sum(map(len, fitted)) <= 1000
    assert len(fitted[1]) == len(fitted[2]) == 495
    assert fit(["x" * 2000], 6000) == ["x" * 1023 + "…"]


def test_user_text_is_escaped_and_owners_are_mentions():
    line = subject_line(Subject(name="**Bold** @everyone", number=3, names=("_Under_",)))
    assert line == "#3 “\\*\\*Bold\\*\\* @\u200beveryone” · \\_Under\\_"
    assert subject_line(Subject(number=7, owner_id=42, detail="due 2026-11-01")) == (
        "#7 · <@42> · due 2026-11-01"
    )
    assert subject_line(Subject(name="Food `Bank`", detail="core partner")) == (
        "**Food \\`Bank\\`** · core partner"
    )


def test_a_healthy_view_says_nothing_to_discuss():
    embed = health_embed(view([]), chart_name=None)
    assert (embed.description or "").startswith("**Nothing to discuss right now.** Checked:")
    assert "• goals" in (embed.description or "")
    assert not embed.fields and not embed.image
