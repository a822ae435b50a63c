"""Interest groups: admins publish them with a link to their chat and attach events; students
browse by interest and language and join, which subscribes them to the group's events (the
event reminders they would get with «Remind me»). Plain values and a session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.group_models import GroupEvent, GroupMember, InterestGroup
from bot.db.models import Event, User, utcnow
from bot.services import events

INTERESTS = ("language_club", "culture_club", "debate", "volunteering", "other")
LANGUAGES = ("kk", "ru", "en")
PUBLISHED, HIDDEN = "published", "hidden"
TITLE_MAX, DESCRIPTION_MAX, URL_MAX = 120, 1000, 256


class Join(StrEnum):
    DONE = "done"
    ALREADY = "already"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class GroupDraft:
    interest: str
    languages: tuple[str, ...]
    title_kk: str
    title_ru: str
    description_kk: str
    description_ru: str
    chat_url: str


def valid_chat_url(url: str) -> bool:
    """A link students can open: https, no spaces, not too long."""
    return url.startswith("https://") and " " not in url and 10 < len(url) <= URL_MAX


async def create_group(session: AsyncSession, draft: GroupDraft, admin_id: int) -> InterestGroup:
    group = InterestGroup(
        interest=draft.interest,
        languages=list(draft.languages),
        title_kk=draft.title_kk,
        title_ru=draft.title_ru,
        description_kk=draft.description_kk,
        description_ru=draft.description_ru,
        chat_url=draft.chat_url,
        status=PUBLISHED,
        created_by=admin_id,
    )
    session.add(group)
    await session.flush()
    return group


async def get(session: AsyncSession, group_id: int) -> InterestGroup | None:
    return await session.get(InterestGroup, group_id)


async def set_published(session: AsyncSession, group_id: int, published: bool) -> bool:
    group = await session.get(InterestGroup, group_id)
    if group is None:
        return False
    group.status = PUBLISHED if published else HIDDEN
    await session.flush()
    return True


async def browse(
    session: AsyncSession,
    interest: str | None = None,
    language: str | None = None,
    *,
    include_hidden: bool = False,
) -> list[InterestGroup]:
    """Groups of one interest and/or speaking one language, in the order they were published."""
    query = select(InterestGroup).order_by(InterestGroup.id)
    if not include_hidden:
        query = query.where(InterestGroup.status == PUBLISHED)
    if interest:
        query = query.where(InterestGroup.interest == interest)
    found = list((await session.scalars(query)).all())
    if language:
        found = [g for g in found if language in g.languages]
    return found


async def interest_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(InterestGroup.interest, func.count())
        .where(InterestGroup.status == PUBLISHED)
        .group_by(InterestGroup.interest)
    )
    return {interest: int(count) for interest, count in rows.all()}


async def members(session: AsyncSession, group_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group_id)
        )
        or 0
    )


async def is_member(session: AsyncSession, group_id: int, user_id: int) -> bool:
    return await session.get(GroupMember, (group_id, user_id)) is not None


async def group_events(session: AsyncSession, group_id: int) -> list[Event]:
    """The group's upcoming published events, soonest first."""
    rows = await session.scalars(
        select(Event)
        .join(GroupEvent, GroupEvent.event_id == Event.id)
        .where(
            GroupEvent.group_id == group_id,
            Event.status == events.PUBLISHED,
            Event.starts_at > utcnow(),
        )
        .order_by(Event.starts_at)
    )
    return list(rows.all())


async def join(session: AsyncSession, group_id: int, user_id: int) -> tuple[Join, int]:
    """Join a published group and be reminded of its upcoming events; (result, events added)."""
    group = await session.get(InterestGroup, group_id)
    if group is None or group.status != PUBLISHED:
        return Join.GONE, 0
    if await is_member(session, group_id, user_id):
        return Join.ALREADY, 0
    session.add(GroupMember(group_id=group_id, user_id=user_id))
    await session.flush()
    added = 0
    for event in await group_events(session, group_id):
        if await events.add_reminder(session, event.id, user_id) == events.Reply.DONE:
            added += 1
    return Join.DONE, added


async def leave(session: AsyncSession, group_id: int, user_id: int) -> bool:
    """Leave a group; reminders already set stay (they are removed in /me like any other)."""
    result = await session.execute(
        delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def my_groups(session: AsyncSession, user_id: int) -> list[InterestGroup]:
    rows = await session.scalars(
        select(InterestGroup)
        .join(GroupMember, GroupMember.group_id == InterestGroup.id)
        .where(GroupMember.user_id == user_id)
        .order_by(GroupMember.joined_at)
    )
    return list(rows.all())


async def attachable_events(session: AsyncSession, group_id: int) -> list[tuple[Event, bool]]:
    """Upcoming events and whether each already belongs to the group."""
    attached = set(
        (
            await session.scalars(
                select(GroupEvent.event_id).where(GroupEvent.group_id == group_id)
            )
        ).all()
    )
    return [(e, e.id in attached) for e in await events.upcoming(session, limit=15)]


async def toggle_event(
    session: AsyncSession, group_id: int, event_id: int
) -> tuple[bool, int] | None:
    """Attach an upcoming event to the group (its members get reminders) or detach it.

    Returns (attached now, members newly subscribed); None if either is gone. Detaching keeps
    the reminders members already have.
    """
    group = await session.get(InterestGroup, group_id)
    event = await session.get(Event, event_id)
    if group is None or event is None:
        return None
    link = await session.get(GroupEvent, (group_id, event_id))
    if link is not None:
        await session.delete(link)
        await session.flush()
        return False, 0
    session.add(GroupEvent(group_id=group_id, event_id=event_id))
    await session.flush()
    added = 0
    people = (
        await session.scalars(
            select(GroupMember.user_id)
            .join(User, User.id == GroupMember.user_id)
            .where(GroupMember.group_id == group_id)
        )
    ).all()
    for user_id in people:
        if await events.add_reminder(session, event_id, user_id) == events.Reply.DONE:
            added += 1
    return True, added


def title(group: InterestGroup, language: str) -> str:
    return group.title_kk if language == "kk" else group.title_ru


def description(group: InterestGroup, language: str) -> str:
    return group.description_kk if language == "kk" else group.description_ru


# --- personal data and reports -----------------------------------------------------------------


async def forget_user(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(GroupMember).where(GroupMember.user_id == user_id))


async def export_memberships(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    user = await session.get(User, user_id)
    name = (
        InterestGroup.title_kk
        if user is not None and user.language == "kk"
        else InterestGroup.title_ru
    )
    rows = await session.execute(
        select(InterestGroup.id, name, GroupMember.joined_at)
        .join(GroupMember, GroupMember.group_id == InterestGroup.id)
        .where(GroupMember.user_id == user_id)
        .order_by(GroupMember.joined_at)
    )
    return [
        {"group_id": gid, "group": group_name, "joined_at": events.aware(at).isoformat()}
        for gid, group_name, at in rows.all()
    ]


@dataclass(frozen=True, slots=True)
class GroupJoins:
    group_id: int
    title: str
    interest: str
    members: int


async def join_counts(session: AsyncSession) -> list[GroupJoins]:
    rows = await session.execute(
        select(
            InterestGroup.id,
            InterestGroup.title_ru,
            InterestGroup.interest,
            func.count(GroupMember.user_id),
        )
        .outerjoin(GroupMember, GroupMember.group_id == InterestGroup.id)
        .group_by(InterestGroup.id, InterestGroup.title_ru, InterestGroup.interest)
        .order_by(InterestGroup.id)
    )
    return [GroupJoins(gid, name, interest, int(n)) for gid, name, interest, n in rows.all()]


def draft_problems(draft: GroupDraft) -> Sequence[str]:
    """Codes of what is wrong with a draft: "interest", "languages", "title", "description",
    "url"; the dialog explains each in the admin's language."""
    problems = []
    if draft.interest not in INTERESTS:
        problems.append("interest")
    if not draft.languages or any(lang not in LANGUAGES for lang in draft.languages):
        problems.append("languages")
    if not all(0 < len(t) <= TITLE_MAX for t in (draft.title_kk, draft.title_ru)):
        problems.append("title")
    if not all(0 < len(t) <= DESCRIPTION_MAX for t in (draft.description_kk, draft.description_ru)):
        problems.append("description")
    if not valid_chat_url(draft.chat_url):
        problems.append("url")
    return problems
