"""A year of Brookfield Family Hubs, month by month, told through the bot's own services.

Modelled on the partnerships the domain notes describe: a council's children's services, a
health trust, two charities and a parents' forum. Over the year a parents' forum joins (as an
associate, then core), the health trust's representative changes, a charity whose grant ends
leaves, goals are agreed (one meets an objection that never lifts), prompts are answered, trust
check-ins are run (one with too few organisations answering, so its figures are withheld), and
two meetings keep minutes with decisions and actions, some kept, some overdue by the end.

Spring and summer are here; the pairwise check-in, autumn and winter in `story_later.py`.
"""

from __future__ import annotations

from bot.demo.cast import (
    ANIL,
    COUNCIL,
    DEMO_CHANNEL,
    FOOD,
    FORUM,
    HEALTH,
    HELEN,
    HUBS,
    JOY,
    KIERAN,
    LEON,
    LITTLE_STEPS,
    MAYA,
    NAME,
    PURPOSE,
    RELATIONSHIP,
    ROSA,
    TIMEZONE,
    TOM,
)
from bot.demo.story_later import pairwise_round
from bot.demo.world import Year


async def spring(y: Year) -> dict[str, int]:
    """April–May: the partnership starts, sets out its goals and holds its first meeting."""
    y.at("2025-04-01", "09:30")
    draft = await y.register.prepare_create(HELEN, NAME, PURPOSE, RELATIONSHIP, TIMEZONE)
    partnership = await y.register.create(HELEN, draft, DEMO_CHANNEL)
    assert partnership.id is not None
    y.partnership_id = partnership.id
    y.tally.people.add(HELEN.user_id)
    y.at("2025-04-01", "09:40")
    for organisation in (COUNCIL, HEALTH, LITTLE_STEPS, FOOD):
        await y.partner(organisation, by=HELEN)
    y.at("2025-04-01", "09:45")
    await y.join(ROSA, LITTLE_STEPS, by=HELEN, mandate="can_commit", convener=True)
    await y.join(TOM, COUNCIL, by=HELEN, capacity="substitute", mandate="must_refer_back")
    await y.join(ANIL, HEALTH, by=HELEN, mandate="agree_in_principle")
    await y.join(KIERAN, FOOD, by=HELEN, mandate="can_commit")
    # Nobody changes their own standing: the co-convener records Helen's.
    y.at("2025-04-01", "09:50")
    await y.register.update_member(
        ROSA,
        HUBS,
        user_id=HELEN.user_id,
        organisation=COUNCIL,
        capacity="representative",
        mandate="can_commit",
    )

    y.at("2025-04-03", "10:00")
    g: dict[str, int] = {}
    g["front_door"] = await y.propose(
        HELEN,
        "One front door for early help in Brookfield",
        description="Families tell their story once; whichever partner they meet first can "
        "book the help they need.",
        review_on="2025-10-01",
    )
    g["referral"] = await y.propose(
        ROSA, "A shared referral form used by every partner", content="process"
    )
    g["checks"] = await y.propose(
        ANIL,
        "Every child has their two-year health and development review",
        origin="external",
        description="The national target, met by reaching families where they already are.",
    )
    g["pooled"] = await y.propose(TOM, "Pool partners' outreach budgets into one fund")
    g["grant"] = await y.propose(
        HELEN,
        "Meet the Family Hubs grant conditions by March 2026",
        organisation=COUNCIL,
        origin="external",
    )
    g["caseloads"] = await y.propose(
        ANIL, "Bring health visitor caseloads within safe limits", organisation=HEALTH
    )
    g["chairing"] = await y.propose(
        ROSA, "Grow my confidence chairing a multi-agency meeting", level="individual"
    )
    await y.share(ROSA, g["chairing"])
    y.at("2025-04-03", "10:20")
    await y.link(HELEN, g["referral"], "part_of", g["front_door"])
    await y.link(HELEN, g["checks"], "contributes_to", g["front_door"])
    await y.link(HELEN, g["caseloads"], "contributes_to", g["checks"])
    await y.link(ROSA, g["pooled"], "in_tension_with", g["grant"])
    await y.goals.classify(HELEN, y.goal(g["front_door"]), relevance="needs_collaboration")
    await y.goals.classify(ANIL, y.goal(g["caseloads"]), relevance="achievable_alone")

    y.at("2025-04-07", "11:00")
    await y.respond(ANIL, g["grant"], "compatible")
    await y.respond(
        KIERAN, g["grant"], "in_tension", "The conditions leave no room for our volunteers."
    )
    await y.respond(ROSA, g["grant"], "didnt_know")
    await y.respond(HELEN, g["caseloads"], "compatible")
    await y.respond(KIERAN, g["caseloads"], "no_effect")
    await y.stance(HELEN, g["front_door"], "agree")
    await y.stance(
        ANIL,
        g["front_door"],
        "reservations",
        "Agreed in principle; our board must see the data-sharing agreement first.",
    )
    await y.stance(ROSA, g["front_door"], "agree")
    await y.stance(KIERAN, g["front_door"], "agree", "Our volunteers meet families first.")
    for person in (ROSA, HELEN, KIERAN, ANIL):
        await y.stance(person, g["referral"], "agree")
    y.at("2025-04-09", "15:00")
    await y.stance(ANIL, g["checks"], "agree")
    await y.stance(HELEN, g["checks"], "agree")
    await y.stance(
        ROSA,
        g["checks"],
        "reservations",
        "We can remind families, but we can't see health records.",
    )
    await y.stance(KIERAN, g["checks"], "unsure", "Not sure what the Food Network can add.")
    # Each organisation's own reading of the front door: imposed from outside, or our own?
    await y.goals.perceive(
        HELEN,
        y.goal(g["front_door"]),
        origin="external",
        origin_detail="the national Family Hubs programme",
    )
    await y.goals.perceive(ANIL, y.goal(g["front_door"]), origin="external")
    await y.goals.perceive(
        ROSA, y.goal(g["front_door"]), origin="members", relevance="needs_collaboration"
    )
    await y.goals.perceive(KIERAN, y.goal(g["front_door"]), origin="members")
    # The Food Network sees itself on the edge of the partnership, unlike the record.
    await y.register.set_self_view(KIERAN, HUBS, FOOD, "associate", "low")
    await y.stance(TOM, g["pooled"], "agree")
    await y.stance(ROSA, g["pooled"], "agree")
    await y.stance(KIERAN, g["pooled"], "agree")
    await y.stance(
        ANIL,
        g["pooled"],
        "object",
        "Our outreach money is ring-fenced by the commissioner; we cannot pool it this year.",
    )

    y.at("2025-04-15", "10:00")
    post = await y.reflect_now(HELEN, "goals")
    y.at("2025-04-16", "12:30")
    await y.answer(
        ROSA,
        post,
        "Reaching families who never walk into a council building. We can't do that alone, "
        "and the council can't either.",
    )
    y.at("2025-04-17", "09:10")
    await y.answer(
        ANIL,
        post,
        "Seeing the same family through the health visitor and the hub without asking them "
        "to repeat everything.",
    )
    y.at("2025-04-22", "18:05")
    await y.answer(
        KIERAN, post, "Turning a food parcel into a conversation about what else would help."
    )
    y.at("2025-04-24", "16:00")
    await y.note(
        HELEN,
        "Terms of reference agreed: monthly check-ins online, a partnership meeting in person "
        "each season, and the two co-conveners share the chair.",
        "decision",
    )

    y.at("2025-05-06", "10:00")
    await y.partner(FORUM, by=HELEN, status="associate")
    await y.join(JOY, FORUM, by=HELEN, mandate="must_refer_back")
    await y.join(MAYA, by=ROSA, capacity="citizen")
    await y.join(LEON, by=ROSA, capacity="citizen")

    y.at("2025-05-13", "14:00")
    await y.meeting(HELEN, "Spring partnership meeting", [HELEN, ROSA, ANIL, KIERAN, JOY, MAYA])
    y.at("2025-05-13", "14:20")
    await y.note(
        ROSA,
        "Start from Little Steps' referral form; every partner sends comments by June.",
        "decision",
        goal=g["referral"],
        review_on="2025-09-01",
    )
    y.at("2025-05-13", "14:30")
    g["map_action"] = await y.note(
        HELEN,
        "Share the map of health visitor caseloads by ward",
        "action",
        owner=ANIL,
        due="2025-06-13",
    )
    g["form_action"] = await y.note(
        ROSA,
        "Draft the shared referral form with the Parents' Forum's comments",
        "action",
        owner=KIERAN,
        due="2025-06-30",
    )
    y.at("2025-05-13", "14:45")
    await y.note(
        ANIL,
        "The data-sharing agreement is not yet signed by the trust; referrals can't flow "
        "until it is.",
        "risk",
    )
    y.at("2025-05-13", "15:30")
    await y.end_meeting(HELEN)

    y.at("2025-05-20", "19:30")
    g["parents"] = await y.propose(
        JOY,
        "Parents shape every new hub service before it launches",
        content="process",
        description="A parents' panel sees each new service while it can still change.",
    )
    y.at("2025-05-22", "10:00")
    await y.stance(JOY, g["parents"], "agree")
    await y.stance(MAYA, g["parents"], "agree", "Ask us before the leaflets are printed.")
    await y.stance(ROSA, g["parents"], "agree")
    await y.stance(
        HELEN, g["parents"], "reservations", "Yes, within the grant's timetable for each service."
    )
    await y.stance(KIERAN, g["parents"], "agree")
    await y.stance(ANIL, g["parents"], "unsure", "What would it mean for clinical services?")
    return g


async def summer(y: Year, g: dict[str, int]) -> None:
    """June–September: the first check-ins, a small win, the forum becomes a core partner."""
    y.at("2025-06-10", "09:00")
    await y.done(ANIL, g["map_action"])
    y.at("2025-06-12", "11:00")
    await y.stance(KIERAN, g["checks"], "agree", "We'll hand out reminder cards with parcels.")

    y.at("2025-06-16", "10:00")
    await y.open_round(HELEN, "7d")
    y.at("2025-06-16", "10:30")
    await y.checkin(
        HELEN,
        expectations=4,
        follow_through=3,
        reliance=4,
        fair_say=4,
        small_win=True,
        small_win_text="Our first joint drop-in",
    )
    await y.checkin(TOM, expectations=3, follow_through=3, reliance=3, fair_say=3)
    y.at("2025-06-17", "14:00")
    await y.checkin(ANIL, expectations=3, follow_through=4, reliance=3, fair_say=3, small_win=False)
    await y.checkin(
        ROSA,
        expectations=4,
        follow_through=4,
        reliance=4,
        fair_say=3,
        small_win=True,
        comment="A good start. We need the data-sharing agreement signed.",
        share_comment=True,
    )
    y.at("2025-06-18", "20:00")
    await y.checkin(KIERAN, expectations=3, follow_through=3, reliance=4, fair_say=2)
    await y.checkin(JOY, expectations=2, follow_through=3, reliance=3, fair_say=2)
    await y.checkin(MAYA, listened=3)
    # Everyone expected has answered: the convener closes it early.
    y.at("2025-06-20", "16:00")
    await y.close_round(HELEN)

    y.at("2025-06-24", "16:00")
    await y.note(
        ROSA,
        "First joint drop-in at Eastgate library: 14 families came, and 5 booked their child's "
        "two-year review on the spot.",
        "small_win",
    )
    y.at("2025-06-27", "12:00")
    await y.done(KIERAN, g["form_action"])

    y.at("2025-07-01", "10:00")
    await y.register.set_partner_status(HELEN, HUBS, FORUM, "core")
    await y.goals.update(HELEN, y.goal(g["front_door"]), status="in_progress")
    y.at("2025-07-02", "20:00")
    await y.stance(
        JOY,
        g["checks"],
        "unsure",
        "Many parents don't know what the review is for. Explain it first.",
    )
    y.at("2025-07-05", "11:00")
    # Joy must refer back: the forum's parents' meeting agreed, so she confirms its stance.
    await y.confirm(JOY, g["parents"], "The parents' meeting said yes.")
    y.at("2025-07-08", "10:00")
    post = await y.reflect_now(HELEN, "coproduction")
    y.at("2025-07-08", "21:15")
    await y.answer(
        JOY,
        post,
        "Parents tested the timetable and moved the baby group to after the school run. "
        "Attendance doubled.",
    )
    await y.answer(
        MAYA, post, "Being asked early. Last year we were only asked once it was decided."
    )
    y.at("2025-07-09", "08:45")
    await y.answer(
        HELEN,
        post,
        "Parents spot what our forms assume. They help with design; delivery is still ours.",
    )
    y.at("2025-07-15", "10:00")
    await y.goals.update(
        HELEN, y.goal(g["referral"]), progress=60, note="Draft two out to partners"
    )
    await y.goals.update(HELEN, y.goal(g["checks"]), progress=30)
    await y.goals.update(HELEN, y.goal(g["grant"]), progress=40)
    y.at("2025-07-22", "11:00")
    await y.note(JOY, "Summer holiday timetable is up in all three hubs.")

    y.at("2025-09-01", "10:00")
    await y.note(
        HELEN,
        "Referral form version 2 is adopted by every partner from 1 October.",
        "decision",
        goal=g["referral"],
        review_on="2026-01-15",
    )
    y.at("2025-09-09", "10:00")
    post = await y.reflect_now(ROSA, "trust")
    y.at("2025-09-09", "13:00")
    await y.answer(
        ANIL,
        post,
        "I expected the council to share its hub rota and it did, a week early. That made "
        "it easier to ask for the venue data next.",
    )
    await y.answer(ROSA, post, "We relied on the trust for a room and it fell through twice.")
    y.at("2025-09-10", "17:30")
    await y.answer(
        KIERAN, post, "Honestly, we feel like the small partner asked to carry the outreach."
    )
    await y.answer(JOY, post, "Parents trust the hubs more than they trust the partnership.")
    await pairwise_round(y)


# Each organisation's reputation on reliability, openness and mission, as the others rate it.
