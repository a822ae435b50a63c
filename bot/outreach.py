"""Where outreach jobs stored before bot/scheduler/ existed find their functions.

APScheduler stores "bot.outreach:<job>" and drops a job whose function it cannot import; the
jobs live in bot/scheduler/outreach.py. New jobs are stored under their new path.
"""

from bot.scheduler.outreach import (
    deliver_announcement,
    notify_followers,
    notify_kind_subscribers,
    remind_event,
    resume_scheduled_outreach,
)

__all__ = [
    "deliver_announcement",
    "notify_followers",
    "notify_kind_subscribers",
    "remind_event",
    "resume_scheduled_outreach",
]
