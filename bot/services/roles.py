"""Who is an admin or a curator: ADMIN_IDS and CURATOR_IDS from settings, plus people admins
added from the bot (stored in `staff`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import StaffMember

ADMIN = "admin"
CURATOR = "curator"
ROLES = (ADMIN, CURATOR)


@dataclass(frozen=True, slots=True)
class StaffEntry:
    user_id: int
    role: str
    configured: bool  # from settings: can't be removed from the bot


class RoleDirectory:
    """Answers role questions from memory; the stored part is refreshed every `ttl` seconds so
    that several bot replicas agree within that time."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        admin_ids: list[int],
        curator_ids: list[int],
        ttl: float = 30.0,
    ) -> None:
        self._session_factory = session_factory
        self._configured = {ADMIN: set(admin_ids), CURATOR: set(curator_ids)}
        self._stored: dict[str, set[int]] = {ADMIN: set(), CURATOR: set()}
        self._ttl = ttl
        self._loaded_at = float("-inf")

    async def refresh(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < self._ttl:
            return
        async with self._session_factory() as session:
            rows = (await session.execute(select(StaffMember.user_id, StaffMember.role))).all()
        stored: dict[str, set[int]] = {ADMIN: set(), CURATOR: set()}
        for user_id, role in rows:
            stored.setdefault(role, set()).add(user_id)
        self._stored = stored
        self._loaded_at = time.monotonic()

    def has(self, user_id: int, role: str) -> bool:
        return user_id in self._configured[role] or user_id in self._stored.get(role, set())

    def is_admin(self, user_id: int) -> bool:
        return self.has(user_id, ADMIN)

    def is_curator(self, user_id: int) -> bool:
        return self.has(user_id, CURATOR)

    def members(self, role: str) -> list[int]:
        return sorted(self._configured[role] | self._stored.get(role, set()))

    def entries(self) -> list[StaffEntry]:
        return [
            StaffEntry(user_id, role, user_id in self._configured[role])
            for role in ROLES
            for user_id in self.members(role)
        ]

    async def grant(self, session: AsyncSession, user_id: int, role: str, by: int) -> bool:
        """Give `role` to `user_id`; False if they already have it."""
        if self.has(user_id, role):
            return False
        session.add(StaffMember(user_id=user_id, role=role, added_by=by))
        await session.flush()
        self._stored.setdefault(role, set()).add(user_id)
        return True

    async def revoke(self, session: AsyncSession, user_id: int, role: str) -> bool:
        """Take `role` from `user_id`; False if they don't have it from the bot (settings rule)."""
        if user_id not in self._stored.get(role, set()):
            return False
        await session.execute(
            delete(StaffMember).where(StaffMember.user_id == user_id, StaffMember.role == role)
        )
        await session.flush()
        self._stored[role].discard(user_id)
        return True

    def is_configured(self, user_id: int, role: str) -> bool:
        return user_id in self._configured[role]


# What `change_role` did.
GRANTED = "granted"
ALREADY = "already"
REVOKED = "revoked"
NOT_YOURSELF = "not_yourself"
BY_SETTINGS = "by_settings"
NOT_A_MEMBER = "not_a_member"


async def change_role(
    roles: RoleDirectory, session: AsyncSession, actor: int, user_id: int, role: str, add: bool
) -> str:
    """Give `role` to `user_id` (`add`) or take it away, on `actor`'s word; returns what
    happened. An admin cannot remove themselves (someone must remain to manage the staff), and
    a role given by the settings is changed there, not here."""
    if add:
        return GRANTED if await roles.grant(session, user_id, role, actor) else ALREADY
    if role == ADMIN and user_id == actor:
        return NOT_YOURSELF
    if await roles.revoke(session, user_id, role):
        return REVOKED
    return BY_SETTINGS if roles.is_configured(user_id, role) else NOT_A_MEMBER


def curators_to_notify(roles: RoleDirectory, urgent: bool) -> list[int]:
    """Every curator; admins too for urgent consultations."""
    people = set(roles.members(CURATOR))
    if urgent:
        people |= set(roles.members(ADMIN))
    return sorted(people)
