"""Changing someone's role, on a real SQLite file: what an admin may and may not do."""

from __future__ import annotations

from bot.factory import App
from bot.services import roles
from bot.services.roles import ADMIN, CURATOR

ADMIN_ID = 9001  # an admin by the settings (tests/conftest.py)
CURATOR_ID = 8001  # a curator by the settings
NEWCOMER = 7001


async def change(app: App, user_id: int, role: str, add: bool, actor: int = ADMIN_ID) -> str:
    async with app.session_factory() as session, session.begin():
        return await roles.change_role(app.roles, session, actor, user_id, role, add)


async def test_a_role_is_given_once_and_taken_back(app: App) -> None:
    assert await change(app, NEWCOMER, CURATOR, add=True) == roles.GRANTED
    assert await change(app, NEWCOMER, CURATOR, add=True) == roles.ALREADY
    assert app.roles.is_curator(NEWCOMER)
    assert await change(app, NEWCOMER, CURATOR, add=False) == roles.REVOKED
    assert await change(app, NEWCOMER, CURATOR, add=False) == roles.NOT_A_MEMBER
    assert not app.roles.is_curator(NEWCOMER)


async def test_an_admin_cannot_remove_themselves(app: App) -> None:
    assert await change(app, NEWCOMER, ADMIN, add=True) == roles.GRANTED
    assert await change(app, NEWCOMER, ADMIN, add=False, actor=NEWCOMER) == roles.NOT_YOURSELF
    assert app.roles.is_admin(NEWCOMER)


async def test_a_role_from_the_settings_is_changed_there(app: App) -> None:
    assert await change(app, CURATOR_ID, CURATOR, add=False) == roles.BY_SETTINGS
    assert app.roles.is_curator(CURATOR_ID)
