"""Stances subject to referral through discord.py's real dispatch path: `/goal endorse` with
`refer_by` from a representative who must refer back, the posted card showing it pending with
a Confirm button, `/goal review` listing it, and Confirm pressed by those who may not and by a
colleague who can commit (which agrees the goal)."""

from __future__ import annotations

from tests.cogs._goal_hubs import (
    by_button,
    custom_ids,
    embed_text,
    goal_ids,
    goal_message,
    hubs,
    posts,
    propose,
    stance_count,
)
from tests.cogs.conftest import World
from tests.helpers import Person, snowflake

LATER = "2099-12-10"


async def test_referral_pending_on_the_card_until_a_colleague_who_can_commit_confirms(
    world: World,
):
    h = await hubs(world)
    await world.run(
        world.convener,
        "member update",
        user=h.council,
        mandate="must_refer_back",
        channel_id=h.channel,
    )
    sue, pat = Person(snowflake(), "Sue"), Person(snowflake(), "Pat")
    for person, mandate in ((sue, "can_commit"), (pat, "agree_in_principle")):
        await world.run(
            world.convener,
            "member add",
            user=person,
            organisation="Riverside Council",
            capacity="substitute",
            mandate=mandate,
            channel_id=h.channel,
        )
    await propose(world, h)
    [goal_id] = await goal_ids(world)
    confirm_id = f"partnerbot:goal:confirm:{goal_id}"
    assert confirm_id not in custom_ids(goal_message(world, h, goal_id))

    given = await world.run(
        h.council,
        "goal endorse",
        channel_id=h.channel,
        goal=str(goal_id),
        stance="agree",
        refer_by=LATER,
    )
    assert given.reply.ephemeral
    assert "Recorded, subject to referral (expected by 2099-12-10)" in given.reply.content
    assert "doesn't count toward agreement until it is confirmed" in given.reply.content
    await by_button(world, h, h.foodbank, goal_id, "agree")
    last = await by_button(world, h, h.forum, goal_id, "agree")
    assert "agreed" not in last.reply.content
    message = goal_message(world, h, goal_id)
    text = embed_text(message)
    assert f"⏳ **Riverside Council**: agree, subject to referral (by {LATER})" in text
    assert "Stances: 3 agree · 0 reservations · 0 unsure · 0 object; 1 subject to referral" in text
    assert "2 so far; 1 awaiting confirmation." in text
    assert "Congruence" not in text and "Status\nproposed" in text
    assert custom_ids(message)[-1] == confirm_id
    assert [c["label"] for c in message["components"][1]["components"]] == ["Confirm"]

    shown = await world.run(h.forum, "goal show", channel_id=h.channel, goal=str(goal_id))
    assert "subject to referral (by 2099-12-10)" in shown.reply.text.replace("\\", "")
    review = await world.run(h.forum, "goal review", channel_id=h.channel)
    assert (
        "Subject to referral, awaiting confirmation: Riverside Council (agree, by 2099-12-10)"
        in review.reply.text.replace("\\", "")
    )

    # Pat may only agree in principle, and the forum's representative speaks for another
    # organisation: each gets a private, polite no, and nothing is recorded.
    before = await stance_count(world)
    refused = await world.discord.click(pat, message, confirm_id, guild_id=world.guild)
    assert refused.reply.ephemeral and "can commit it" in refused.reply.content
    other = await world.discord.click(h.forum, message, confirm_id, guild_id=world.guild)
    assert other.reply.ephemeral
    assert "Nothing is awaiting confirmation from Parents' Forum" in other.reply.content
    outsider = await world.discord.click(world.outsider, message, confirm_id, guild_id=world.guild)
    assert outsider.reply.ephemeral and "can't find that goal" in outsider.reply.content
    assert await stance_count(world) == before

    announced_before = len(posts(world))
    done = await world.discord.click(sue, message, confirm_id, guild_id=world.guild)
    assert done.reply.ephemeral
    assert "Confirmed after referral: **Riverside Council** agrees with" in done.reply.content
    assert "the goal is now **agreed**" in done.reply.content
    message = goal_message(world, h, goal_id)
    text = embed_text(message)
    assert "Status\nagreed" in text
    assert "✅ **Riverside Council**: agree, confirmed after referral" in text
    assert confirm_id not in custom_ids(message)  # nothing left to confirm
    [announcement] = posts(world)[announced_before:]
    assert "is **agreed**" in announcement.body["content"]
    again = await world.run(
        sue, "goal endorse", channel_id=h.channel, goal=str(goal_id), stance="agree", confirm=True
    )
    assert "Nothing is awaiting confirmation" in again.reply.content
