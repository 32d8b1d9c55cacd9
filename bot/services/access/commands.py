"""Which commands only conveners may use, said once beside the rules that decide it.

Conveners are not a Discord permission, so every command stays visible to everyone; the command
descriptions ("Conveners: …") and `/guide` carry who may use what. Each entry here mirrors a
rule in this package (`convener=True` at the gate, `require_convener`, or a check of its own),
and a test checks every command listed says so in its description.
"""

from __future__ import annotations

# Only conveners (and people with Manage Server, who act as conveners) may use these.
CONVENER_COMMANDS = frozenset(
    {
        "partnership configure",
        "partnership archive",
        "partnership repair",
        "partnership relationship add",
        "partnership relationship remove",
        "partner add",
        "partner remove",
        "partner status",
        "member add",
        "member update",
        "member remove",
        "goal link",
        "goal unlink",
        "goal nudge",
        "reflect schedule",
        "reflect pause",
        "reflect resume",
        "reflect cancel",
        "reflect skip",
        "reflect now",
        "reflect prompt add",
        "trust open",
        "trust close",
        "trust status",
        "trust schedule",
        "trust pause",
        "trust resume",
        "trust cancel",
        "log exports",
    }
)

# Conveners share these with someone else (a goal's owners, an action's owner, a text's author,
# a meeting's starter); the description names both.
SHARED_WITH_CONVENERS = frozenset(
    {"goal update", "goal classify", "goal visibility", "log done", "log redact", "meeting end"}
)


def convener_only(command: str) -> bool:
    """Whether only conveners may use `command` (its qualified name, e.g. `member add`)."""
    return command.removeprefix("/") in CONVENER_COMMANDS
