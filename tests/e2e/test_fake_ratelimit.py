"""The fake's global rate limit: what Discord answers above 50 requests a second."""

from __future__ import annotations

import pytest

from ._discord_model import DiscordHTTPError
from ._discord_ratelimit import GlobalRateLimit


def test_requests_over_the_limit_in_a_second_get_a_global_429():
    limit = GlobalRateLimit(3)
    for at in (10.0, 10.1, 10.2):
        limit.admit(at)
    with pytest.raises(DiscordHTTPError) as refused:
        limit.admit(10.5)
    assert refused.value.status == 429
    assert refused.value.body()["global"] is True
    assert refused.value.body()["retry_after"] == pytest.approx(0.5)
    assert refused.value.headers["Via"]  # discord.py reads a 429 without it as a ban
    limit.admit(11.05)  # the first has left the window
    assert (limit.max_rate, limit.limited) == (3, 1)


def test_interaction_answers_do_not_count():
    assert not GlobalRateLimit.counts("/interactions/1/token/callback")
    assert not GlobalRateLimit.counts("/webhooks/1/token")
    assert GlobalRateLimit.counts("/channels/1/messages")
