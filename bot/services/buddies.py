"""The buddy programme: newcomers ask for a buddy, volunteers register, the bot proposes a match
(same faculty or language first, then the least loaded volunteer), a curator approves it, both
get each other's chosen contact, a check-in follows after BUDDY_CHECKIN_AFTER, and either side
can end it. Messages owed to people are written as notices in the same transaction and sent
after the commit. Plain values and a session; no Telegram."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.buddy_models import BuddyNotice, BuddyPair, BuddyRequest, BuddyVolunteer
from bot.db.models import User, utcnow

ORIGINS = ("first_year", "other_region", "other_country")
LANGUAGES = ("kk", "ru", "en")
FACULTY_MAX, CONTACT_MAX, INTERESTS_MAX = 120, 120, 500
OPEN_REQUEST = ("waiting", "proposed", "matched")
LIVE_PAIR = ("proposed", "active")


def normalise_faculty(text: str) -> str:
    return " ".join(text.split())


def _same_faculty(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


# --- joining -------------------------------------------------------------------------------------


async def register_volunteer(
    session: AsyncSession,
    user_id: int,
    faculty: str,
    languages: Sequence[str],
    interests: str,
    contact: str | None,
) -> BuddyVolunteer:
    """Register (or update) a volunteer, active at once."""
    volunteer = await session.get(BuddyVolunteer, user_id)
    if volunteer is None:
        volunteer = BuddyVolunteer(user_id=user_id)
        session.add(volunteer)
    volunteer.faculty = normalise_faculty(faculty)
    volunteer.languages = [lang for lang in LANGUAGES if lang in languages]
    volunteer.interests = interests
    volunteer.contact = contact
    volunteer.capacity = volunteer.capacity or 2
    volunteer.status = "active"
    await session.flush()
    return volunteer


async def open_request(session: AsyncSession, user_id: int) -> BuddyRequest | None:
    return await session.scalar(
        select(BuddyRequest).where(
            BuddyRequest.user_id == user_id, BuddyRequest.status.in_(OPEN_REQUEST)
        )
    )


async def request_buddy(
    session: AsyncSession,
    user_id: int,
    faculty: str,
    languages: Sequence[str],
    origin: str,
    contact: str | None,
    curators: Sequence[int],
) -> tuple[BuddyRequest, BuddyPair | None, bool]:
    """A newcomer's request and the match proposed for it, if any volunteer is free;
    (request, proposal, new). An open request is returned as it is (new False)."""
    existing = await open_request(session, user_id)
    if existing is not None:
        return existing, None, False
    request = BuddyRequest(
        user_id=user_id,
        faculty=normalise_faculty(faculty),
        languages=[lang for lang in LANGUAGES if lang in languages],
        origin=origin,
        contact=contact,
        status="waiting",
    )
    session.add(request)
    await session.flush()
    return request, await propose(session, request, curators), True


async def load(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(BuddyPair.volunteer_id, func.count())
        .where(BuddyPair.status.in_(LIVE_PAIR), BuddyPair.volunteer_id.is_not(None))
        .group_by(BuddyPair.volunteer_id)
    )
    return {int(v): int(n) for v, n in rows.all() if v is not None}


async def propose(
    session: AsyncSession, request: BuddyRequest, curators: Sequence[int]
) -> BuddyPair | None:
    """Propose the best free volunteer for a waiting request: same faculty first, then a shared
    language, then the one with the fewest newcomers, then the earliest registered. Volunteers
    a curator already rejected for this request are skipped. Curators get a notice."""
    if request.status != "waiting" or request.user_id is None:
        return None
    rejected = set(
        (
            await session.scalars(
                select(BuddyPair.volunteer_id).where(
                    BuddyPair.request_id == request.id, BuddyPair.status != "proposed"
                )
            )
        ).all()
    )
    busy = await load(session)
    candidates = (
        await session.scalars(
            select(BuddyVolunteer)
            .join(User, User.id == BuddyVolunteer.user_id)
            .where(BuddyVolunteer.status == "active", BuddyVolunteer.user_id != request.user_id)
        )
    ).all()
    free = [
        v for v in candidates if v.user_id not in rejected and busy.get(v.user_id, 0) < v.capacity
    ]
    if not free:
        return None

    def rank(v: BuddyVolunteer) -> tuple[int, int, int, float]:
        faculty = 0 if _same_faculty(v.faculty, request.faculty) else 1
        language = 0 if set(v.languages) & set(request.languages) else 1
        return (faculty, language, busy.get(v.user_id, 0), v.created_at.timestamp())

    best = min(free, key=rank)
    pair = BuddyPair(
        request_id=request.id,
        newcomer_id=request.user_id,
        volunteer_id=best.user_id,
        status="proposed",
    )
    session.add(pair)
    request.status = "proposed"
    await session.flush()
    for curator in curators:
        session.add(BuddyNotice(user_id=curator, kind="proposal", pair_id=pair.id))
    await session.flush()
    return pair


async def propose_waiting(session: AsyncSession, curators: Sequence[int]) -> list[BuddyPair]:
    """Try again for every waiting request, oldest first (after a volunteer registers)."""
    made = []
    for request in (
        await session.scalars(
            select(BuddyRequest).where(BuddyRequest.status == "waiting").order_by(BuddyRequest.id)
        )
    ).all():
        pair = await propose(session, request, curators)
        if pair is not None:
            made.append(pair)
    return made


# --- curators -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """ "approved", "rejected", or "stale" (already decided, or someone left meanwhile)."""

    status: str
    pair: BuddyPair | None = None
    next_pair: BuddyPair | None = None


async def decide(
    session: AsyncSession,
    pair_id: int,
    curator_id: int,
    approve: bool,
    curators: Sequence[int],
) -> Decision:
    """Approve a proposal (both sides get an introduction) or reject it (the next volunteer is
    proposed). Only the first decision counts."""
    result = await session.execute(
        update(BuddyPair)
        .where(
            BuddyPair.id == pair_id,
            BuddyPair.status == "proposed",
            BuddyPair.newcomer_id.is_not(None),
            BuddyPair.volunteer_id.is_not(None),
        )
        .values(
            status="active" if approve else "rejected",
            decided_by=curator_id,
            approved_at=utcnow() if approve else None,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return Decision("stale", await session.get(BuddyPair, pair_id))
    pair = await session.get(BuddyPair, pair_id)
    assert pair is not None
    await session.refresh(pair)
    request = await session.get(BuddyRequest, pair.request_id)
    if approve:
        if request is not None:
            request.status = "matched"
        # The volunteer first: if they blocked the bot, the newcomer never gets a contact
        # nobody answers, and hears about another buddy instead.
        for person in (pair.volunteer_id, pair.newcomer_id):
            assert person is not None
            session.add(BuddyNotice(user_id=person, kind="introduction", pair_id=pair.id))
        await session.flush()
        return Decision("approved", pair)
    next_pair = None
    if request is not None:
        request.status = "waiting"
        await session.flush()
        next_pair = await propose(session, request, curators)
    return Decision("rejected", pair, next_pair)


# --- the pair ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairView:
    """One of the student's pairs as they may see it."""

    pair: BuddyPair
    role: str  # "newcomer" or "volunteer"
    other_id: int | None
    other_name: str | None
    other_contact: str | None  # only in an active pair, and only if the other shared one
    other_faculty: str | None


async def my_pairs(session: AsyncSession, user_id: int) -> list[PairView]:
    pairs = (
        await session.scalars(
            select(BuddyPair)
            .where(
                or_(BuddyPair.newcomer_id == user_id, BuddyPair.volunteer_id == user_id),
                BuddyPair.status.in_(LIVE_PAIR),
            )
            .order_by(BuddyPair.id)
        )
    ).all()
    views = []
    for pair in pairs:
        newcomer = pair.newcomer_id == user_id
        other_id = pair.volunteer_id if newcomer else pair.newcomer_id
        other = await session.get(User, other_id) if other_id is not None else None
        contact = faculty = None
        if other_id is not None and pair.status == "active":
            if newcomer:
                volunteer = await session.get(BuddyVolunteer, other_id)
                contact = volunteer.contact if volunteer else None
                faculty = volunteer.faculty if volunteer else None
            else:
                request = await session.get(BuddyRequest, pair.request_id)
                contact = request.contact if request else None
                faculty = request.faculty if request else None
        views.append(
            PairView(
                pair,
                "newcomer" if newcomer else "volunteer",
                other_id,
                other.first_name if other else None,
                contact,
                faculty,
            )
        )
    return views


async def end_pair(session: AsyncSession, pair_id: int, user_id: int) -> BuddyPair | None:
    """Either side ends an active (or still proposed) pair; the other side is told."""
    pair = await session.get(BuddyPair, pair_id)
    if (
        pair is None
        or pair.status not in LIVE_PAIR
        or user_id
        not in (
            pair.newcomer_id,
            pair.volunteer_id,
        )
    ):
        return None
    side = "newcomer" if user_id == pair.newcomer_id else "volunteer"
    await _end(session, pair, side)
    other = pair.volunteer_id if side == "newcomer" else pair.newcomer_id
    if other is not None:
        session.add(BuddyNotice(user_id=other, kind="ended", pair_id=pair.id))
    await session.flush()
    return pair


async def _end(session: AsyncSession, pair: BuddyPair, by: str) -> None:
    pair.status = "ended" if pair.status == "active" else "rejected"
    pair.ended_at = utcnow()
    pair.ended_by = by
    request = await session.get(BuddyRequest, pair.request_id)
    if request is not None and request.status in OPEN_REQUEST:
        request.status = "ended"


# --- check-in -----------------------------------------------------------------------------------


async def claim_checkin(session: AsyncSession, pair_id: int) -> BuddyPair | None:
    """The pair whose check-in is due now, marked sent (once); None if ended or already sent."""
    result = await session.execute(
        update(BuddyPair)
        .where(
            BuddyPair.id == pair_id,
            BuddyPair.status == "active",
            BuddyPair.checkin_sent_at.is_(None),
        )
        .values(checkin_sent_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    pair = await session.get(BuddyPair, pair_id)
    if pair is not None:
        await session.refresh(pair)
    return pair


async def answer_checkin(session: AsyncSession, pair_id: int, user_id: int, good: bool) -> bool:
    """Record one side's answer to the check-in; False for someone else's or an ended pair."""
    pair = await session.get(BuddyPair, pair_id)
    if pair is None or pair.checkin_sent_at is None:
        return False
    if user_id == pair.newcomer_id:
        pair.newcomer_checkin = good
    elif user_id == pair.volunteer_id:
        pair.volunteer_checkin = good
    else:
        return False
    await session.flush()
    return True


# --- leaving, blocking, personal data -----------------------------------------------------------


async def volunteer_unreachable(
    session: AsyncSession, volunteer_id: int, curators: Sequence[int]
) -> list[int]:
    """A volunteer blocked the bot: they are taken out of the programme, their newcomers are
    told and proposed to someone else. Returns the newcomers affected."""
    volunteer = await session.get(BuddyVolunteer, volunteer_id)
    if volunteer is not None:
        volunteer.status = "blocked"
    affected = []
    for pair in (
        await session.scalars(
            select(BuddyPair).where(
                BuddyPair.volunteer_id == volunteer_id, BuddyPair.status.in_(LIVE_PAIR)
            )
        )
    ).all():
        was_active = pair.status == "active"
        await _end(session, pair, "blocked")
        request = await session.get(BuddyRequest, pair.request_id)
        if request is not None:
            request.status = "waiting"
        await session.flush()
        if pair.newcomer_id is not None:
            affected.append(pair.newcomer_id)
            if was_active:
                session.add(
                    BuddyNotice(user_id=pair.newcomer_id, kind="unreachable", pair_id=pair.id)
                )
        if request is not None:
            await propose(session, request, curators)
    await session.flush()
    return affected


async def leave(session: AsyncSession, user_id: int) -> list[int]:
    """The student leaves the programme (consent withdrawn or data deleted): their pairs end,
    the other side is told and no longer sees their contact, their request and volunteer
    registration go. Returns who is told."""
    told = []
    for pair in (
        await session.scalars(
            select(BuddyPair).where(
                or_(BuddyPair.newcomer_id == user_id, BuddyPair.volunteer_id == user_id),
                BuddyPair.status.in_(LIVE_PAIR),
            )
        )
    ).all():
        was_active = pair.status == "active"
        newcomer_left = pair.newcomer_id == user_id
        await _end(session, pair, "left")
        other = pair.volunteer_id if newcomer_left else pair.newcomer_id
        if other is not None and was_active:
            session.add(BuddyNotice(user_id=other, kind="left", pair_id=pair.id))
            told.append(other)
        if not newcomer_left:
            # The newcomer still needs a buddy: their request waits for another volunteer.
            request = await session.get(BuddyRequest, pair.request_id)
            if request is not None and request.user_id is not None:
                request.status = "waiting"
    await session.execute(delete(BuddyVolunteer).where(BuddyVolunteer.user_id == user_id))
    await session.execute(
        update(BuddyRequest)
        .where(BuddyRequest.user_id == user_id)
        .values(user_id=None, contact=None, status="ended")
    )
    await session.execute(
        update(BuddyPair).where(BuddyPair.newcomer_id == user_id).values(newcomer_id=None)
    )
    await session.execute(
        update(BuddyPair).where(BuddyPair.volunteer_id == user_id).values(volunteer_id=None)
    )
    await session.execute(delete(BuddyNotice).where(BuddyNotice.user_id == user_id))
    await session.flush()
    return told


# --- notices -------------------------------------------------------------------------------------


async def claim_notices(session: AsyncSession, limit: int = 50) -> list[BuddyNotice]:
    """Notices to send now, removed from the table (each is sent at most once)."""
    found = list(
        (await session.scalars(select(BuddyNotice).order_by(BuddyNotice.id).limit(limit))).all()
    )
    if found:
        await session.execute(delete(BuddyNotice).where(BuddyNotice.id.in_([n.id for n in found])))
    return found
