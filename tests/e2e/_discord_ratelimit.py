"""Discord's global rate limit, for the fake: at most `limit` requests a second per bot.

Off unless asked for (`FakeDiscord(global_rate_limit=50)`). Counted over a sliding second,
stricter than Discord's own accounting; interaction callbacks and webhook follow-ups are exempt,
as on Discord. An excess request gets Discord's answer, a 429 with `retry_after` and
`global: true`, which discord.py honours by pausing every request.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ._discord_model import DiscordHTTPError

WINDOW = 1.0
EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass
class GlobalRateLimit:
    limit: int
    admitted: deque[float] = field(default_factory=deque)
    max_rate: int = 0  # the most requests admitted within any one second
    limited: int = 0  # requests answered 429

    @staticmethod
    def counts(path: str) -> bool:
        return not path.startswith(EXEMPT_PREFIXES) and path != "/gateway/bot"

    def admit(self, now: float) -> None:
        """Count a request made at `now`, or raise the 429 Discord would answer."""
        while self.admitted and now - self.admitted[0] >= WINDOW:
            self.admitted.popleft()
        if len(self.admitted) >= self.limit:
            self.limited += 1
            retry_after = round(WINDOW - (now - self.admitted[0]), 3)
            error = DiscordHTTPError(
                429,
                0,
                "You are being rate limited.",
                headers={
                    "Via": "1.1 google",  # discord.py takes a 429 without it for a ban
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Retry-After": str(max(retry_after, 0.001)),
                },
            )
            error.extra = {"retry_after": max(retry_after, 0.001), "global": True}
            raise error
        self.admitted.append(now)
        self.max_rate = max(self.max_rate, len(self.admitted))
