"""Two senders over one PostgreSQL store take different recipients of an announcement at the
same time: nobody gets it twice, and neither sender waits for the other's transaction."""

from __future__ import annotations

import asyncio

import pytest

from bot.factory import App
from bot.services import announcements
from bot.services.users import give_consent
from tests.fixtures.stores import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="row locks between processes: PostgreSQL only (TEST_DATABASE_URL)"
)


async def test_concurrent_claims_take_different_recipients(app: App) -> None:
    async with app.session_factory() as session, session.begin():
        for user_id in range(7000, 7010):
            await give_consent(session, user_id, "kk", f"Student {user_id}", None)
        announcement_id, recipients = await announcements.create(
            session, 9001, "all", "Сәлем", "Привет"
        )
    assert recipients == 10
    async with app.session_factory() as first, first.begin():
        mine = await announcements.claim_batch(first, announcement_id, size=4)
        # The first sender has not committed yet; the second must not wait for it.
        async with app.session_factory() as second, second.begin():
            theirs = await asyncio.wait_for(
                announcements.claim_batch(second, announcement_id, size=4), timeout=5
            )
    assert mine is not None and theirs is not None
    first_ids = {item.user_id for item in mine.items}
    second_ids = {item.user_id for item in theirs.items}
    assert len(first_ids) == len(second_ids) == 4
    assert not first_ids & second_ids
