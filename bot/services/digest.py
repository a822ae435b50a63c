"""The weekly early-warning digest for admins: the last complete week against the eight before.

What it counts: incident reports the bot recognised in students' messages, and consultations
in the discrimination and conflict areas; per faculty only where at least `K_ANONYMITY`
different students stand behind a faculty's figures, so nobody can be singled out. Then the
knowledge-base topics asked most that week, and words in unanswered questions that nobody
used in the eight weeks before (a new place, a new slur, a new rumour).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import aware, now
from bot.db.models import Consultation, FaqEntry, QuestionLog, User, WeeklyDigest
from bot.services.questions import ANSWERED, CHOSEN, ROUTED, UNANSWERED_OUTCOMES
from knowledge_base.stopwords import STOP_WORDS
from nlu.normalize import normalize_word

# A group is shown only when at least this many different people are behind it.
K_ANONYMITY = 5
# The weeks a week is compared with.
BASELINE_WEEKS = 8
INCIDENTS = "incidents"
DISCRIMINATION = "discrimination"
CONFLICT = "conflict"
SIGNALS = (INCIDENTS, DISCRIMINATION, CONFLICT)
UP, DOWN, STEADY = "up", "down", "steady"
TOP_TOPICS = 5
NEW_WORDS = 10
# Shorter words are mostly endings, particles and typos.
_MIN_WORD = 4
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the digest goes out: a weekday (0 = Monday), an hour and a minute, local time."""

    weekday: int
    hour: int
    minute: int

    @property
    def day(self) -> str:
        return _DAYS[self.weekday]


def parse_schedule(value: str) -> Schedule | None:
    """`"mon 09:00"` -> Schedule; `"off"` (or empty) -> None; anything else is a ValueError."""
    text = " ".join(value.strip().casefold().split())
    if text in ("", "off", "none", "false", "0"):
        return None
    match = _SCHEDULE.match(text)
    if match is None:
        raise ValueError(f"expected 'DAY HH:MM' (day mon..sun) or 'off', got {value!r}")
    return Schedule(_DAYS.index(match[1]), int(match[2]), int(match[3]))


@dataclass(frozen=True, slots=True)
class Trend:
    """One figure this week and in each of the eight weeks before (oldest first)."""

    week: int
    before: tuple[int, ...]

    @property
    def average(self) -> float:
        return sum(self.before) / len(self.before) if self.before else 0.0

    @property
    def direction(self) -> str:
        """Up: half as much again as usual and at least two more; down: under half of usual."""
        usual = self.average
        if self.week >= usual * 1.5 and self.week - usual >= 2:
            return UP
        if usual >= 2 and self.week < usual / 2:
            return DOWN
        return STEADY


@dataclass(frozen=True, slots=True)
class FacultyTrend:
    faculty: str
    people: int
    trend: Trend


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    question: dict[str, str]
    count: int


@dataclass
class Digest:
    week: date  # its Monday
    signals: dict[str, Trend]
    faculties: list[FacultyTrend] = field(default_factory=list)
    # Faculties with figures that too few people stand behind to show.
    hidden_faculties: int = 0
    topics: list[Topic] = field(default_factory=list)
    new_words: list[tuple[str, int]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return week_key(self.week)

    @property
    def quiet(self) -> bool:
        return not any(t.week for t in self.signals.values()) and not self.topics


def last_complete_week(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday of the last week (Monday to Sunday, local time) that has ended by `moment`."""
    day = aware(moment).astimezone(zone).date()
    return day - timedelta(days=day.weekday() + 7)


def week_key(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _start(monday: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(monday, time(), zone)


def _week_index(moment: datetime, first: date, zone: ZoneInfo) -> int:
    """0 for the oldest baseline week ... BASELINE_WEEKS for the reported week."""
    day = aware(moment).astimezone(zone).date()
    return (day - first).days // 7


def faculty_key(name: str) -> str:
    """Faculties typed by students differ in case and spaces only: one group."""
    return " ".join(name.split()).casefold()


async def build_digest(
    session: AsyncSession, week: date, zone: ZoneInfo, *, k: int = K_ANONYMITY
) -> Digest:
    """The digest of the week starting on Monday `week`, compared with the eight before."""
    first = week - timedelta(weeks=BASELINE_WEEKS)
    since, until = _start(first, zone), _start(week + timedelta(weeks=1), zone)
    slots = BASELINE_WEEKS + 1
    counts: dict[str, list[int]] = {signal: [0] * slots for signal in SIGNALS}
    # (faculty key) -> weekly counts of all signals, and the people behind them
    by_faculty: dict[str, list[int]] = defaultdict(lambda: [0] * slots)
    people: dict[str, set[int]] = defaultdict(set)
    names: dict[str, Counter[str]] = defaultdict(Counter)

    def count(signal: str, moment: datetime, faculty: str | None, person: int | None) -> None:
        index = _week_index(moment, first, zone)
        if not 0 <= index < slots:
            return
        counts[signal][index] += 1
        if faculty and person is not None:
            key = faculty_key(faculty)
            by_faculty[key][index] += 1
            people[key].add(person)
            names[key][" ".join(faculty.split())] += 1

    questions = await session.execute(
        select(QuestionLog.created_at, QuestionLog.details, QuestionLog.user_id, User.faculty)
        .outerjoin(User, User.id == QuestionLog.user_id)
        .where(
            QuestionLog.outcome == ROUTED,
            QuestionLog.created_at >= since,
            QuestionLog.created_at < until,
        )
    )
    for created, details, user_id, faculty in questions:
        if _action(details) == "incident":
            count(INCIDENTS, created, faculty, user_id)
    cases = await session.execute(
        select(Consultation.created_at, Consultation.area, Consultation.student_id, User.faculty)
        .outerjoin(User, User.id == Consultation.student_id)
        .where(
            Consultation.area.in_((DISCRIMINATION, CONFLICT)),
            Consultation.created_at >= since,
            Consultation.created_at < until,
        )
    )
    for created, area, student_id, faculty in cases:
        count(area, created, faculty, student_id)

    def trend(weekly: list[int]) -> Trend:
        return Trend(weekly[-1], tuple(weekly[:-1]))

    digest = Digest(week=week, signals={s: trend(counts[s]) for s in SIGNALS})
    for key, weekly in by_faculty.items():
        if len(people[key]) >= k:
            name = names[key].most_common(1)[0][0]
            digest.faculties.append(FacultyTrend(name, len(people[key]), trend(weekly)))
        else:
            digest.hidden_faculties += 1
    digest.faculties.sort(key=lambda f: (-f.trend.week, -f.trend.average, f.faculty.casefold()))
    digest.topics = await _topics(session, _start(week, zone), until)
    digest.new_words = await _new_words(session, since, _start(week, zone), until)
    return digest


def _action(details: Any) -> str | None:
    return details.get("action") if isinstance(details, dict) else None


async def _topics(session: AsyncSession, since: datetime, until: datetime) -> list[Topic]:
    rows = await session.execute(
        select(QuestionLog.entry_pk).where(
            QuestionLog.outcome.in_((ANSWERED, CHOSEN)),
            QuestionLog.entry_pk.is_not(None),
            QuestionLog.created_at >= since,
            QuestionLog.created_at < until,
        )
    )
    asked = Counter(pk for (pk,) in rows)
    top = asked.most_common(TOP_TOPICS)
    if not top:
        return []
    entries = {
        e.pk: e
        for e in await session.scalars(
            select(FaqEntry).where(FaqEntry.pk.in_([pk for pk, _ in top]))
        )
    }
    return [
        Topic(entries[pk].slug, {"kk": entries[pk].question_kk, "ru": entries[pk].question_ru}, n)
        for pk, n in top
        if pk in entries
    ]


def _words(text: str) -> dict[str, str]:
    """The normalised words of `text` (script variants are one word), each with its spelling."""
    words: dict[str, str] = {}
    for match in _WORD.finditer(unicodedata.normalize("NFC", text)):
        spelled = match.group(0).lower()
        word = normalize_word(spelled)
        if len(word) >= _MIN_WORD and not word.isdigit() and word not in STOP_WORDS:
            words.setdefault(word, spelled)
    return words


async def _new_words(
    session: AsyncSession, since: datetime, week_start: datetime, until: datetime
) -> list[tuple[str, int]]:
    """Words of this week's unanswered questions that no question of the eight weeks before
    used, with how many questions used them; most used first."""
    rows = await session.execute(
        select(QuestionLog.text, QuestionLog.outcome, QuestionLog.created_at).where(
            QuestionLog.created_at >= since, QuestionLog.created_at < until
        )
    )
    seen: set[str] = set()
    fresh: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for text, outcome, created in rows:
        words = _words(text)
        if aware(created) < week_start:
            seen.update(words)
        elif outcome in UNANSWERED_OUTCOMES:
            fresh.update(words.keys())
            for word, spelled in words.items():
                spellings[word][spelled] += 1
    ranked = sorted(
        (
            (spellings[word].most_common(1)[0][0], n)
            for word, n in fresh.items()
            if word not in seen
        ),
        key=lambda w: (-w[1], w[0]),
    )
    return ranked[:NEW_WORDS]


async def claim_week(session: AsyncSession, key: str) -> bool:
    """Take the right to send week `key`'s digest; False when it was already sent (before a
    restart, or by another replica)."""
    if await session.get(WeeklyDigest, key) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(WeeklyDigest(week=key, sent_at=now()))
    except IntegrityError:
        return False
    return True
