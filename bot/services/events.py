"""Events students follow: creation and edits by admins, reminders, RSVPs with capacity,
kind subscriptions, and finding an event by what a student wrote."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from babel.dates import format_datetime
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ALMATY, aware
from bot.db.models import Event, EventKindSubscription, EventReminder, EventRsvp, User, utcnow
from bot.services.notifications import Recipient, reachable_users
from nlu.normalize import tokenize

KINDS = ("culture_day", "excursion", "club_meeting", "webinar", "other")
PUBLISHED = "published"
CANCELLED = "cancelled"
# Reminders: (name, how long before the start). The day-before one is skipped when the event
# is already less than an hour away, since the hour-before one then says the same.
REMINDERS = (("day", timedelta(hours=24)), ("hour", timedelta(hours=1)))
TITLE_MAX = 200
DESCRIPTION_MAX = 1500
PLACE_MAX = 500
CAPACITY_MAX = 100_000

_TIME_FORMATS = ("%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M", "%d.%m.%y %H:%M", "%d/%m/%Y %H:%M")


class TimeProblem(StrEnum):
    UNPARSEABLE = "unparseable"
    PAST = "past"


class EventTimeError(ValueError):
    def __init__(self, problem: TimeProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_local_time(text: str, now: datetime | None = None) -> datetime:
    """An admin's "05.12.2026 18:00" (Asia/Almaty) as an aware UTC datetime, in the future."""
    cleaned = re.sub(r"\s+", " ", text.strip().replace(",", " "))
    cleaned = re.sub(r"(\d{1,2})[.:-](\d{2})$", r"\1:\2", cleaned)
    for fmt in _TIME_FORMATS:
        try:
            local = datetime.strptime(cleaned, fmt)
            break
        except ValueError:
            continue
    else:
        raise EventTimeError(TimeProblem.UNPARSEABLE)
    moment = local.replace(tzinfo=ALMATY).astimezone(UTC)
    if moment <= (now or utcnow()):
        raise EventTimeError(TimeProblem.PAST)
    return moment


def format_when(moment: datetime, language: str, *, short: bool = False) -> str:
    """The time as students read it: Asia/Almaty, month names of their language."""
    pattern = "d MMM, HH:mm" if short else "EEE, d MMMM y, HH:mm"
    return format_datetime(aware(moment), pattern, tzinfo=ALMATY, locale=language)


def local_input(moment: datetime) -> str:
    """The time in the format admins type it."""
    return aware(moment).astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")


@dataclass(slots=True)
class EventDraft:
    kind: str
    title_kk: str
    title_ru: str
    description_kk: str
    description_ru: str
    starts_at: datetime
    place: str
    capacity: int | None = None


def title(event: Event, language: str) -> str:
    return event.title_kk if language == "kk" else event.title_ru


def description(event: Event, language: str) -> str:
    return event.description_kk if language == "kk" else event.description_ru


async def create_event(session: AsyncSession, draft: EventDraft, author_id: int) -> Event:
    """Publish an event; the caller schedules its reminders and tells kind subscribers."""
    if draft.kind not in KINDS:
        raise ValueError(f"unknown event kind {draft.kind!r}")
    event = Event(
        kind=draft.kind,
        title_kk=draft.title_kk,
        title_ru=draft.title_ru,
        description_kk=draft.description_kk,
        description_ru=draft.description_ru,
        starts_at=draft.starts_at,
        place=draft.place,
        capacity=draft.capacity,
        status=PUBLISHED,
        created_by=author_id,
    )
    session.add(event)
    await session.flush()
    return event


async def get(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


def is_open(event: Event | None, now: datetime | None = None) -> bool:
    """Published and not started yet."""
    return (
        event is not None
        and event.status == PUBLISHED
        and aware(event.starts_at) > (now or utcnow())
    )


EDITABLE = (
    "starts_at",
    "title_kk",
    "title_ru",
    "description_kk",
    "description_ru",
    "place",
    "capacity",
)


async def edit_event(
    session: AsyncSession, event_id: int, field: str, value: object
) -> Event | None:
    """Change one field of an open event; a new start time re-arms the reminders."""
    if field not in EDITABLE:
        raise ValueError(f"{field} cannot be edited")
    event = await session.get(Event, event_id)
    if not is_open(event):
        return None
    assert event is not None
    setattr(event, field, value)
    if field == "starts_at":
        await session.execute(
            update(EventReminder)
            .where(EventReminder.event_id == event_id)
            .values(day_sent_at=None, hour_sent_at=None)
        )
    await session.flush()
    return event


async def cancel_event(session: AsyncSession, event_id: int) -> Event | None:
    """Cancel an open event; None if it is already cancelled, past or unknown."""
    event = await session.get(Event, event_id)
    if not is_open(event):
        return None
    assert event is not None
    event.status = CANCELLED
    await session.flush()
    return event


async def upcoming(
    session: AsyncSession, kind: str | None = None, *, limit: int = 20, now: datetime | None = None
) -> list[Event]:
    """Published events that have not started, soonest first."""
    query = select(Event).where(Event.status == PUBLISHED, Event.starts_at > (now or utcnow()))
    if kind is not None:
        query = query.where(Event.kind == kind)
    return list((await session.scalars(query.order_by(Event.starts_at).limit(limit))).all())


# Words that say "an event" or "when", not which one: they must not decide the match.
_GENERIC = frozenset(
    """
    когда қашан qashan kashan где қайда будет болады бола болад когд event events мероприятие
    мероприятия іс шара шаралар день дни күні куни kuni культуры культура мәдениет мәдениеті
    мадениет madeniet madenieti клуб клуба встреча кездесу экскурсия экскурсиясы саяхат вебинар
    """.split()
)


def _stem(word: str) -> str:
    return word[:5]


def _words(text: str) -> set[str]:
    return {_stem(w) for w in tokenize(text) if len(w) >= 3 and w not in _GENERIC}


def match_events(events: Sequence[Event], text: str) -> list[Event]:
    """The events a question names ("when is the Korean culture day?"), best first.

    Words are compared by their first five letters in both languages, so Russian and Kazakh
    endings do not matter; an empty list means the question names none of them.
    """
    asked = _words(text)
    if not asked:
        return []
    scored: list[tuple[int, int, Event]] = []
    for position, event in enumerate(events):
        words = _words(" ".join((event.title_kk, event.title_ru)))
        score = len(asked & words)
        if score:
            scored.append((score, -position, event))
    if not scored:
        return []
    best = max(s for s, _p, _e in scored)
    return [e for s, _p, e in sorted(scored, key=lambda t: (t[0], t[1]), reverse=True) if s == best]


# ----- a student's reminders, RSVPs and subscriptions -----


class Reply(StrEnum):
    DONE = "done"
    ALREADY = "already"
    FULL = "full"
    CANCELLED = "cancelled"
    GONE = "gone"  # unknown or already started
    NO_CAPACITY = "no_capacity"


def _closed_reason(event: Event | None) -> Reply | None:
    if event is None:
        return Reply.GONE
    if event.status == CANCELLED:
        return Reply.CANCELLED
    if not is_open(event):
        return Reply.GONE
    return None


async def add_reminder(session: AsyncSession, event_id: int, user_id: int) -> Reply:
    """ "Remind me": idempotent."""
    event = await session.get(Event, event_id)
    if (reason := _closed_reason(event)) is not None:
        return reason
    exists = await session.scalar(
        select(EventReminder.id).where(
            EventReminder.event_id == event_id, EventReminder.user_id == user_id
        )
    )
    if exists is not None:
        return Reply.ALREADY
    session.add(EventReminder(event_id=event_id, user_id=user_id))
    await session.flush()
    return Reply.DONE


async def going_count(session: AsyncSession, event_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(EventRsvp).where(EventRsvp.event_id == event_id)
        )
        or 0
    )


async def rsvp(session: AsyncSession, event_id: int, user_id: int) -> Reply:
    """ "I'm going": refused when full or closed; a second press changes nothing.

    The event row is locked (PostgreSQL) and SQLite serialises writers, so two students cannot
    both take the last place.
    """
    event = await session.scalar(select(Event).where(Event.id == event_id).with_for_update())
    if (reason := _closed_reason(event)) is not None:
        return reason
    assert event is not None
    if event.capacity is None:
        return Reply.NO_CAPACITY
    mine = await session.scalar(
        select(EventRsvp.id).where(EventRsvp.event_id == event_id, EventRsvp.user_id == user_id)
    )
    if mine is not None:
        return Reply.ALREADY
    if await going_count(session, event_id) >= event.capacity:
        return Reply.FULL
    session.add(EventRsvp(event_id=event_id, user_id=user_id))
    await session.flush()
    # Going implies wanting the reminders.
    await add_reminder(session, event_id, user_id)
    return Reply.DONE


async def remove_reminder(session: AsyncSession, event_id: int, user_id: int) -> bool:
    result = await session.execute(
        delete(EventReminder).where(
            EventReminder.event_id == event_id, EventReminder.user_id == user_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def remove_rsvp(session: AsyncSession, event_id: int, user_id: int) -> bool:
    result = await session.execute(
        delete(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def subscribed_kinds(session: AsyncSession, user_id: int) -> set[str]:
    rows = await session.scalars(
        select(EventKindSubscription.kind).where(EventKindSubscription.user_id == user_id)
    )
    return set(rows.all())


async def toggle_kind(session: AsyncSession, user_id: int, kind: str) -> bool:
    """Subscribe to or unsubscribe from a kind; returns whether the student is now subscribed."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    result = await session.execute(
        delete(EventKindSubscription).where(
            EventKindSubscription.user_id == user_id, EventKindSubscription.kind == kind
        )
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return False
    session.add(EventKindSubscription(user_id=user_id, kind=kind))
    await session.flush()
    return True


@dataclass(frozen=True, slots=True)
class Following:
    """An event a student follows, for the personal cabinet."""

    event: Event
    reminder: bool
    going: bool


async def followed_events(session: AsyncSession, user_id: int) -> list[Following]:
    """Upcoming events the student asked to be reminded of or is going to."""
    reminded = set(
        (
            await session.scalars(
                select(EventReminder.event_id).where(EventReminder.user_id == user_id)
            )
        ).all()
    )
    going = set(
        (
            await session.scalars(select(EventRsvp.event_id).where(EventRsvp.user_id == user_id))
        ).all()
    )
    ids = reminded | going
    if not ids:
        return []
    events = await session.scalars(
        select(Event)
        .where(Event.id.in_(ids), Event.status == PUBLISHED, Event.starts_at > utcnow())
        .order_by(Event.starts_at)
    )
    return [Following(e, e.id in reminded, e.id in going) for e in events]


# ----- who is told what -----


def _recipients(rows: Iterable[tuple[int, str]]) -> list[Recipient]:
    return [Recipient(user_id, language) for user_id, language in rows]


async def claim_reminders(session: AsyncSession, event_id: int, which: str) -> list[Recipient]:
    """Mark the `which` ("day" or "hour") reminder sent for every reachable subscriber, and
    return them; a second call (a restart, another replica) gets nobody."""
    column = EventReminder.day_sent_at if which == "day" else EventReminder.hour_sent_at
    reachable = reachable_users("events").subquery()
    claimed = (
        await session.scalars(
            update(EventReminder)
            .where(
                EventReminder.event_id == event_id,
                column.is_(None),
                EventReminder.user_id.in_(select(reachable.c.id)),
            )
            .values({column.key: utcnow()})
            .returning(EventReminder.user_id)
        )
    ).all()
    if not claimed:
        return []
    rows = await session.execute(select(User.id, User.language).where(User.id.in_(claimed)))
    return _recipients(rows)


async def followers(session: AsyncSession, event_id: int) -> list[Recipient]:
    """Reachable students with a reminder or an RSVP for the event (told about changes)."""
    reminded = select(EventReminder.user_id).where(EventReminder.event_id == event_id)
    going = select(EventRsvp.user_id).where(EventRsvp.event_id == event_id)
    query = reachable_users("events").where(User.id.in_(reminded.union(going)))
    return _recipients(await session.execute(query))


async def kind_subscribers(session: AsyncSession, kind: str) -> list[Recipient]:
    """Reachable students subscribed to `kind` (told when a new one is published)."""
    subscribed = select(EventKindSubscription.user_id).where(EventKindSubscription.kind == kind)
    query = reachable_users("events").where(User.id.in_(subscribed))
    return _recipients(await session.execute(query))


async def forget_user(session: AsyncSession, user_id: int) -> None:
    """Delete the student's reminders, RSVPs and kind subscriptions."""
    for table in (EventReminder, EventRsvp, EventKindSubscription):
        await session.execute(delete(table).where(table.user_id == user_id))
