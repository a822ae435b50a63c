"""Webhook mode: a request without the secret token is refused, and an update is answered
only once it has been handled (so an update a dying replica never answered is re-delivered)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import GetWebhookInfo, SendMessage
from aiogram.types import WebhookInfo
from aiohttp.test_utils import TestClient, TestServer

from bot.runner import refuse_polling_over_a_webhook
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, create_web_app
from tests.conftest import STUDENT_ID
from tests.fakes.builders import make_user, message_update, user_message
from tests.fakes.recording import RecordingSession

SECRET = "s3cret-token"


@pytest.fixture
async def client(bot: Bot, dp: Dispatcher) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(bot, dp, SECRET))) as test_client:
        yield test_client


def _start(update_id: int) -> dict[str, object]:
    user = make_user(STUDENT_ID, language_code="kk")
    update = message_update(update_id, user_message(update_id, user, text="/start"))
    return update.model_dump(mode="json", exclude_none=True)


async def test_an_update_without_the_secret_is_refused(
    client: TestClient, recording: RecordingSession
) -> None:
    response = await client.post(WEBHOOK_PATH, json=_start(1))
    assert response.status == 403
    response = await client.post(WEBHOOK_PATH, json=_start(2), headers={SECRET_HEADER: "wrong"})
    assert response.status == 403
    assert not recording.of_type(SendMessage), "nothing was handled"


async def test_an_update_is_acknowledged_after_it_was_answered(
    client: TestClient, recording: RecordingSession
) -> None:
    response = await client.post(WEBHOOK_PATH, json=_start(3), headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    # The reply was sent before Telegram got its 200: nothing was left running behind it.
    assert [m for m in recording.of_type(SendMessage) if m.chat_id == STUDENT_ID]
    assert (await client.get("/healthz")).status == 200


async def test_polling_refuses_to_start_while_a_webhook_is_set(
    bot: Bot, recording: RecordingSession
) -> None:
    recording.respond(
        GetWebhookInfo,
        WebhookInfo(
            url="https://bot.example.org/telegram/webhook",
            has_custom_certificate=False,
            pending_update_count=3,
        ),
    )
    with pytest.raises(SystemExit, match="webhook is active"):
        await refuse_polling_over_a_webhook(bot)
