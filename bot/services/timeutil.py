"""Time at the edges: IANA zones, dates typed by users, Discord timestamps. Stored time is UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserFacingError


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or a polite error."""
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    # A folder of the zone database ("Europe") or an unreadable file is an OSError.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UserFacingError(
            f"“{name}” isn't a time zone I know. Use an IANA name such as Europe/London "
            "or America/New_York."
        ) from None


def parse_date(text: str, *, option: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserFacingError(
            f"`{option}` should be a date written YYYY-MM-DD, such as 2026-03-31."
        ) from None


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of `day` in `tz`, in UTC: what `as_of` means.

    The last days a `date` can hold (9999-12-31) have no next midnight; they mean "everything
    so far", so they end at the latest moment a datetime holds.
    """
    try:
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        return next_midnight.astimezone(UTC) - timedelta(microseconds=1)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def discord_timestamp(moment: datetime, style: str = "f") -> str:
    """`<t:UNIX:style>`: each reader sees it in their own zone."""
    return f"<t:{int(as_utc(moment).timestamp())}:{style}>"
