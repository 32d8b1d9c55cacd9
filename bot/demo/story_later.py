"""The second half of Brookfield Family Hubs' year (see `story.py`): the pairwise check-in that
ends the summer, then autumn and winter."""

from __future__ import annotations

import random

from bot.demo.cast import (
    ANIL,
    COUNCIL,
    FOOD,
    FORUM,
    GRACE,
    HEALTH,
    HELEN,
    HUBS,
    JOY,
    KIERAN,
    LEON,
    LITTLE_STEPS,
    MAYA,
    ROSA,
    TOM,
)
from bot.demo.world import Year
from bot.services.access import Actor

SEED = 2025  # the pairwise ratings vary around each organisation's reputation, the same each run


REPUTATION = {
    COUNCIL: (3, 3, 4),
    HEALTH: (3, 2, 3),
    LITTLE_STEPS: (4, 4, 4),
    FOOD: (2, 4, 3),
    FORUM: (3, 4, 3),
}


async def pairwise_round(y: Year) -> None:
    """September: a check-in with pairwise ratings between the five organisations."""
    y.at("2025-09-15", "10:00")
    await y.open_round(HELEN, "7d", pairwise=True)
    raters = {COUNCIL: HELEN, HEALTH: ANIL, LITTLE_STEPS: ROSA, FOOD: KIERAN, FORUM: JOY}
    answers: dict[Actor, tuple[int, int, int, int]] = {
        HELEN: (4, 4, 4, 4),
        ANIL: (3, 3, 3, 3),
        ROSA: (4, 3, 3, 3),
        KIERAN: (3, 3, 3, 2),
        JOY: (3, 3, 3, 3),
    }
    rng = random.Random(SEED)
    y.at("2025-09-16", "09:30")
    for organisation, person in raters.items():
        expectations, follow_through, reliance, fair_say = answers[person]
        await y.checkin(
            person,
            expectations=expectations,
            follow_through=follow_through,
            reliance=reliance,
            fair_say=fair_say,
            small_win=person is not KIERAN,
        )
        for other, reputation in REPUTATION.items():
            if other != organisation:
                scores = tuple(max(1, min(4, s + rng.choice((-1, 0, 0, 1)))) for s in reputation)
                await y.rate(person, other, scores)  # type: ignore[arg-type]
    y.at("2025-09-17", "19:00")
    await y.checkin(MAYA, listened=4)
    await y.checkin(LEON, listened=2, comment="Meetings are at school pick-up time.")
    y.at("2025-09-22", "10:05")
    await y.close_round(None)
    y.at("2025-09-26", "15:00")
    await y.note(
        ANIL,
        "I move to a new post on 1 October. Grace Obi will represent the trust from then.",
    )


async def autumn(y: Year, g: dict[str, int]) -> None:
    """October–December: a new health representative, the second meeting, a partner leaves,
    and a December check-in that too few organisations answer."""
    y.at("2025-10-01", "09:00")
    await y.leave(ANIL, by=HELEN)
    y.at("2025-10-06", "09:00")
    await y.join(GRACE, HEALTH, by=HELEN, mandate="can_commit")
    y.at("2025-10-14", "10:00")
    await y.goals.update(
        HELEN,
        y.goal(g["referral"]),
        status="achieved",
        progress=100,
        note="Version 2 is in use by every partner.",
    )
    y.at("2025-10-20", "11:00")
    await y.note(
        KIERAN,
        "Our lottery grant ends on 30 November. Without new funding the Food Network will "
        "have to leave the partnership.",
        "risk",
    )
    y.at("2025-11-04", "10:00")
    post = await y.reflect_now(HELEN, "membership")
    y.at("2025-11-04", "16:20")
    await y.answer(
        ROSA, post, "Losing the Food Network means losing the families who come for food first."
    )
    await y.answer(
        GRACE,
        post,
        "Joining halfway is hard: the decisions were made before I came. The log helped.",
    )
    await y.answer(JOY, post, "The forum is core now, but parents still feel like guests.")

    y.at("2025-11-18", "14:00")
    await y.meeting(ROSA, "Autumn review", [HELEN, TOM, ROSA, GRACE, KIERAN, JOY, LEON])
    y.at("2025-11-18", "14:15")
    await y.note(
        HELEN,
        "Little Steps takes over the Food Network's Friday outreach from December.",
        "decision",
        goal=g["front_door"],
        review_on="2026-03-02",
    )
    y.at("2025-11-18", "14:25")
    g["contacts_action"] = await y.note(
        ROSA,
        "Take over the Food Network's outreach contacts and volunteer rota",
        "action",
        owner=ROSA,
        due="2025-12-19",
    )
    g["pilot_action"] = await y.note(
        HELEN,
        "Pilot the shared referral form in two GP practices",
        "action",
        owner=GRACE,
        due="2026-01-30",
    )
    g["cabinet_action"] = await y.note(
        ROSA,
        "Take the pooled-budget options to the council's cabinet",
        "action",
        owner=TOM,
        due="2026-03-13",
    )
    y.at("2025-11-18", "14:50")
    await y.note(
        GRACE,
        "Referral form version 2 is in use by every partner: 62 referrals in October.",
        "small_win",
    )
    y.at("2025-11-18", "15:40")
    await y.end_meeting(ROSA)

    y.at("2025-11-28", "17:00")
    await y.note(
        KIERAN,
        "Thank you all. Our volunteers will keep sending families to the hubs.",
    )
    y.at("2025-11-30", "16:00")
    await y.partner_leaves(FOOD, by=HELEN)
    await y.leave(KIERAN, by=HELEN)

    y.at("2025-12-08", "10:00")
    await y.open_round(HELEN, "7d")
    y.at("2025-12-09", "12:00")
    await y.checkin(HELEN, expectations=3, follow_through=2, reliance=3, fair_say=4)
    await y.checkin(TOM, expectations=3, follow_through=3, reliance=3, fair_say=3)
    await y.checkin(ROSA, expectations=3, follow_through=2, reliance=2, fair_say=3)
    y.at("2025-12-12", "09:30")
    await y.done(ROSA, g["contacts_action"])
    y.at("2025-12-15", "10:05")
    await y.close_round(None)
    y.at("2025-12-16", "10:00")
    await y.note(
        HELEN,
        "Only two organisations answered December's check-in, so its figures stay hidden. "
        "We'll try again after the holidays.",
    )


async def winter(y: Year, g: dict[str, int]) -> None:
    """January–March: the parents' goal is agreed, the objection stays, a last check-in."""
    y.at("2026-01-13", "10:00")
    post = await y.reflect_now(ROSA, "inertia")
    y.at("2026-01-13", "15:00")
    await y.answer(HELEN, post, "The pooled budget: a year of talk and nothing to show.")
    await y.answer(
        GRACE, post, "Waiting for each board to sign off. We could agree what needs no board."
    )
    y.at("2026-01-14", "20:30")
    await y.answer(JOY, post, "Meetings that repeat last month's updates.")
    await y.answer(LEON, post, "From outside it looks slow, but the drop-ins are real.")
    y.at("2026-01-20", "11:00")
    await y.stance(
        GRACE,
        g["pooled"],
        "object",
        "Still ring-fenced for 2026-27. We could align our outreach instead of pooling it.",
    )
    y.at("2026-01-27", "11:00")
    await y.stance(GRACE, g["parents"], "agree", "Yes, with a clinician on the panel.")

    y.at("2026-02-10", "10:00")
    post = await y.reflect_now(HELEN, "small_wins")
    y.at("2026-02-10", "13:45")
    await y.answer(ROSA, post, "The Friday outreach kept going after the Food Network left.")
    await y.answer(JOY, post, "Parents now co-run the Saturday stay-and-play.")
    y.at("2026-02-11", "07:50")
    await y.answer(MAYA, post, "My son's review was booked at the drop-in, no phone queue.")
    y.at("2026-02-17", "10:00")
    g["session_action"] = await y.note(
        HELEN,
        "Run a parents' session on the new hub timetable",
        "action",
        owner=JOY,
        due="2026-04-20",
    )
    await y.goals.update(HELEN, y.goal(g["checks"]), progress=55)
    await y.goals.update(HELEN, y.goal(g["grant"]), progress=80)
    y.at("2026-02-24", "16:00")
    await y.note(
        GRACE,
        "Two-year review uptake in Eastgate is up from 71% to 83% since September.",
        "small_win",
    )

    y.at("2026-03-09", "10:00")
    await y.open_round(HELEN, "5d")
    y.at("2026-03-10", "12:00")
    await y.checkin(HELEN, expectations=4, follow_through=3, reliance=4, fair_say=4, small_win=True)
    await y.checkin(TOM, expectations=4, follow_through=4, reliance=3, fair_say=3)
    await y.checkin(
        GRACE,
        expectations=4,
        follow_through=4,
        reliance=4,
        fair_say=3,
        small_win=True,
        small_win_text="Review uptake in Eastgate",
    )
    y.at("2026-03-11", "18:00")
    await y.checkin(ROSA, expectations=4, follow_through=4, reliance=3, fair_say=4, small_win=True)
    await y.checkin(
        JOY,
        expectations=3,
        follow_through=4,
        reliance=3,
        fair_say=3,
        small_win=True,
        comment="Better since parents co-run a session.",
        share_comment=True,
    )
    await y.checkin(MAYA, listened=4)
    y.at("2026-03-14", "10:05")
    await y.close_round(None)
    y.at("2026-03-17", "09:00")
    await y.note(
        TOM,
        "The council's budget for 2026-27 is not set yet; hub opening hours may be cut.",
        "risk",
    )
    y.at("2026-03-24", "10:00")
    await y.schedules.create_schedule(
        "prompt",
        HELEN,
        HUBS,
        cadence="monthly",
        local_time="10:00",
        day="14",
        start="2026-04-01",
    )
