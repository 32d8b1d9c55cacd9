"""Partnership health: signals of collaborative inertia worth discussing (Huxham & Vangen
2005), each with a level (attention or watch), a finding in plain words and a suggested next
step: a prompt theme for `/reflect now`, and an action worth logging.

The modules: `vocab` (levels, keys and every threshold), `facts` (the reads, once per view:
no free text, no check-in content), `signals` (the checks, and the chart's data), `views`
(what cogs receive), `chart` (the participation chart as a PNG), `service` (`HealthService`).
"""

from bot.services.health.service import HealthService
from bot.services.health.views import HealthSignal, HealthView, Participation, Subject
from bot.services.health.vocab import SignalKey, Urgency

__all__ = [
    "HealthService",
    "HealthSignal",
    "HealthView",
    "Participation",
    "SignalKey",
    "Subject",
    "Urgency",
]
