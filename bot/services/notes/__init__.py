"""The partnership log's own entries: notes, decisions, actions, small wins and risks.

Every feature writes its events to one append-only log (`bot.services.log`); this package adds
the entries people write themselves, closes actions with a new event (an action's state, open,
overdue or done, is derived from the log), and reads the whole log page by page.

The modules: `vocab` (kinds and limits), `views` (what cogs receive), `events` (log entries),
`service` (`NoteService`),
`reminders` (`ActionReminders`: the owner's reminders of open actions), `redaction`
(`Redacting`: a person's text removed from every view, `/log redact`), `audit` (`ExportAudit`:
the record of exports, `/log exports`).
"""

from bot.services.notes.audit import EXPORTS_SHOWN, ExportLine, ExportList
from bot.services.notes.redaction import Redacted
from bot.services.notes.reminders import ActionReminder, ActionReminders
from bot.services.notes.service import DONE, OPEN, OVERDUE, NoteService
from bot.services.notes.views import ActionDone, LogLine, LogPage, NoteDraft, NoteResult
from bot.services.notes.vocab import PAGE_SIZE, TEXT_MAX, NoteKind, kind_label

__all__ = [
    "DONE",
    "EXPORTS_SHOWN",
    "OPEN",
    "OVERDUE",
    "PAGE_SIZE",
    "TEXT_MAX",
    "ActionDone",
    "ActionReminder",
    "ActionReminders",
    "ExportLine",
    "ExportList",
    "LogLine",
    "LogPage",
    "NoteDraft",
    "NoteKind",
    "NoteResult",
    "NoteService",
    "Redacted",
    "kind_label",
]
