"""Odd input gets a polite answer, never the generic error: names, zones, dates, settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.config import Settings
from bot.errors import UserFacingError
from bot.replies import is_busy
from bot.scheduling import ScheduleEngine
from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.reflection import parse_post_ref
from bot.services.register import RegisterService
from bot.services.schedules import parse_schedule_ref
from bot.services.text import choice, clean_text, record_number
from bot.services.timeutil import end_of_day, zone
from bot.services.vocab import AgreementRule, Sector
from db.engine import create_engine
from db.models import name_key
from tests.test_scheduling import MONDAY_0930_BST, Channel, Clock, engine_for, make_schedule


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ＲＩＶＥＲＳＩＤＥ", "Riverside"),  # fullwidth
        ("Cafe\u0301", "Café"),  # e + combining acute
        ("River\u200bside", "Riverside"),  # zero-width space inside
        ("  river   SIDE ", "River Side"),
        ("\u00adRiverside", "Riverside"),  # soft hyphen
    ],
)
def test_names_a_person_would_call_the_same_share_one_key(typed: str, stored: str):
    assert name_key(typed) == name_key(stored)


def test_names_differing_in_substance_keep_different_keys():
    assert name_key("Riverside") != name_key("Riverbank")
    assert name_key("Cafe") != name_key("Café")


@pytest.mark.parametrize("blank", ["\u200b", "\u2800\u2800", "\u3164", "\u00ad", " \u200b \u2800 "])
def test_a_name_of_invisible_characters_is_refused(blank: str):
    with pytest.raises(UserFacingError, match="invisible"):
        clean_text(blank, what="name", limit=100)


def test_zero_width_characters_are_removed_from_names():
    assert clean_text("Hill\u200btop\u200d Housing", what="name", limit=100) == "Hilltop Housing"
    assert clean_text("\u200b", what="note", limit=100, required=False) == ""


@pytest.mark.parametrize("name", ["Europe", "America", "Europe/", "../etc/passwd", "Nowhere/City"])
def test_a_zone_folder_or_unknown_zone_is_a_polite_error(name: str):
    with pytest.raises(UserFacingError, match="isn't a time zone I know"):
        zone(name)


def test_the_last_representable_day_means_everything_so_far():
    moment = end_of_day(date(9999, 12, 31), ZoneInfo("Europe/London"))
    assert moment.tzinfo is not None and moment > datetime(9999, 12, 30, tzinfo=UTC)
    ordinary = end_of_day(date(2026, 3, 10), ZoneInfo("Europe/London"))
    assert ordinary == datetime(2026, 3, 10, 23, 59, 59, 999999, tzinfo=UTC)


def test_a_grace_of_zero_hours_is_valid_and_a_negative_one_is_not():
    assert Settings(prompt_grace_hours=0).prompt_grace_hours == 0
    with pytest.raises(ValidationError):
        Settings(prompt_grace_hours=-1)


async def test_with_no_grace_an_occurrence_still_posts_on_time_but_is_not_caught_up(sessions):
    clock = Clock(MONDAY_0930_BST + timedelta(seconds=5))
    channel = Channel()
    schedule_id = await make_schedule(sessions, MONDAY_0930_BST - timedelta(days=1))
    engine, _ = engine_for(sessions, clock, channel, grace=timedelta(0))
    outcome = await engine.run_schedule(schedule_id)
    assert len(outcome.ran) == 1 and len(channel.posts) == 1
    # A week of downtime later: the missed Monday is recorded, not posted.
    clock.moment = MONDAY_0930_BST + timedelta(days=7, hours=3)
    outcome = await engine.run_schedule(schedule_id)
    assert outcome.ran == [] and outcome.missed == 1 and len(channel.posts) == 1


async def test_a_scheduler_with_no_grace_starts(sessions):
    engine = ScheduleEngine(sessions, grace=timedelta(0))
    await engine.start()
    try:
        assert engine.aps is not None
    finally:
        await engine.shutdown()


async def test_database_errors_never_carry_the_values_written(db_url: str):
    engine = create_engine(db_url)
    secret = "my private reflection about the council"
    try:
        with pytest.raises(IntegrityError) as caught:
            async with engine.begin() as conn:
                await conn.execute(
                    text("INSERT INTO prompt_answer (post_id, text) VALUES (:p, :t)"),
                    {"p": 999999, "t": secret},
                )
        assert secret not in str(caught.value)
    finally:
        await engine.dispose()


async def test_a_lock_wait_on_postgresql_gives_up_before_discords_deadline(postgres_url: str):
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            timeout = (await conn.execute(text("SHOW lock_timeout"))).scalar()
        assert timeout == "2s"
        async with engine.connect() as holder, engine.connect() as waiter:
            await holder.execute(text("LOCK TABLE partnership IN ACCESS EXCLUSIVE MODE"))
            started = datetime.now(UTC)
            with pytest.raises(DBAPIError) as caught:
                await waiter.execute(text("SELECT * FROM partnership FOR UPDATE"))
            waited = datetime.now(UTC) - started
            await holder.rollback()
        assert is_busy(caught.value)
        assert waited < timedelta(seconds=3)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("typed", ["99999999999", "#2147483648", "²", "#١٢", "12\u200b"])
async def test_goal_numbers_beyond_any_record_or_in_other_digits_are_not_found(
    sessions, typed: str
):
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    convener = Actor(1, 10, "Ada", manage_channels=True)
    draft = await register.prepare_create(convener, "Riverside", "purpose")
    await register.create(convener, draft, 42)
    goals = GoalService(sessions)
    # Outside a channel: not a number of any goal, so taken as a title, which needs a partnership.
    with pytest.raises(UserFacingError, match=r"can't find|Which partnership"):
        await goals.show(convener, GoalTarget(typed))
    with pytest.raises(UserFacingError, match="can't find"):
        await goals.show(convener, GoalTarget(typed, PartnershipRef(name="Riverside")))


@pytest.mark.parametrize("typed", ["99999999999", "²", "#١٢", "0"])
def test_schedule_and_prompt_numbers_must_be_plain_numbers_of_a_record(typed: str):
    with pytest.raises(UserFacingError, match="isn't a schedule number"):
        parse_schedule_ref(typed, command="/reflect")
    with pytest.raises(UserFacingError, match="isn't a prompt number"):
        parse_post_ref(typed)
    assert record_number("#12") == 12 and record_number(" 2147483647 ") == 2_147_483_647


@pytest.mark.parametrize(
    ("enum", "what", "said"),
    [
        (AgreementRule, "agreement rule", "isn't an agreement rule I know"),
        (Sector, "sector", "isn't a sector I know"),
    ],
)
def test_an_unknown_choice_is_named_in_plain_english(enum, what, said):  # type: ignore[no-untyped-def]
    with pytest.raises(UserFacingError, match=said):
        choice("unanimous", enum, what=what)
