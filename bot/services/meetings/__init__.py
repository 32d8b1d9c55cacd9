"""Meetings, so minutes are real minutes: started with an "I'm here" button, attended once per
person with the organisation they speak for, ended with a summary of what was logged meanwhile.

No table of its own: a meeting is its events in the append-only log (`meeting.started`,
`meeting.attended`, `meeting.ended`); the open meeting is the latest `meeting.started` with no
`meeting.ended` naming it. Notes logged while it is open carry its id (`meeting_id`).

The modules: `views` (what cogs receive), `events` (log entries and the open meeting),
`service` (`MeetingService`).
"""

from bot.services.meetings.events import OWN_CAPACITY_LABEL, open_meeting
from bot.services.meetings.service import TITLE_MAX, MeetingService
from bot.services.meetings.views import Attendance, MeetingDraft, MeetingStarted, MeetingSummary

__all__ = [
    "OWN_CAPACITY_LABEL",
    "TITLE_MAX",
    "Attendance",
    "MeetingDraft",
    "MeetingService",
    "MeetingStarted",
    "MeetingSummary",
    "open_meeting",
]
