"""Test doubles for Telegram, the only thing Kelisim's tests do not run for real.

- `RecordingSession`: a Bot session that records methods and answers like Telegram.
- `ChatDriver`: a user talking to the dispatcher (send text, click buttons, read replies).
- `FakeBotAPIServer`: a Bot API HTTP server on loopback for the bot running as a process.
"""

from tests.fakes.bot_api_server import ApiCall, FakeBotAPIServer
from tests.fakes.builders import TEST_BOT_TOKEN, TEST_BOT_USERNAME
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import (
    RecordingSession,
    bot_blocked,
    message_not_modified,
    method_not_found,
    retry_after,
)

__all__ = [
    "TEST_BOT_TOKEN",
    "TEST_BOT_USERNAME",
    "ApiCall",
    "ChatDriver",
    "FakeBotAPIServer",
    "RecordingSession",
    "bot_blocked",
    "message_not_modified",
    "method_not_found",
    "retry_after",
]
