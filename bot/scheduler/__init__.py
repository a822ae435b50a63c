"""Scheduled work that must survive restarts, behind a port.

- `planner.py`: the Planner, which use cases call to schedule and cancel work in domain terms;
  the persistent job store.
- `jobs.py`, `outreach.py`: the job functions. They decide who gets what and send it; what a
  message says comes from the notices port (`port.py`), implemented by the journeys'
  `notices.py` and plugged in by the factory. No job imports a handler or a UI module.
- `sending.py`: the pacer, Telegram's 429 and 403, one message to several people.

APScheduler stores a job as "module:function". Jobs stored before this package existed point
at `bot.scheduler:<job>` and `bot.outreach:<job>`; both stay importable (the names below and
bot/outreach.py), or APScheduler would drop those jobs.
"""

from bot.scheduler.context import JobContext, job_context
from bot.scheduler.jobs import (
    expire_survey,
    nudge_curator,
    nudge_unclaimed,
    remind_survey,
    send_survey,
)
from bot.scheduler.planner import JOBS_TABLE, Planner, job_store_url
from bot.scheduler.sending import SEND_RATE, Pacer

__all__ = [
    "JOBS_TABLE",
    "SEND_RATE",
    "JobContext",
    "Pacer",
    "Planner",
    "expire_survey",
    "job_context",
    "job_store_url",
    "nudge_curator",
    "nudge_unclaimed",
    "remind_survey",
    "send_survey",
]
