"""Plain constructors for the Telegram objects a user produces: users, chats, messages, clicks.

Shared by the in-process driver (`tests.fakes.chat`) and the fake Bot API server, so both
deliver the same shapes of updates that Telegram would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
    Voice,
)

#: A token in the shape aiogram validates (`<bot id>:<secret>`); the bot id is 123456789.
TEST_BOT_TOKEN = "123456789:AAFakeKelisimTestTokenForLoopbackOnly"
TEST_BOT_USERNAME = "kelisim_test_bot"

#: Title given to group chats (negative ids), e.g. the curators' group.
GROUP_TITLE = "Kelisim curators"


def now() -> datetime:
    """Current time, second precision, as Telegram reports dates."""
    return datetime.now(UTC).replace(microsecond=0)


def make_user(
    user_id: int,
    first_name: str = "Aigerim",
    *,
    username: str | None = None,
    last_name: str | None = None,
    language_code: str | None = "ru",
) -> User:
    """A human Telegram user."""
    return User(
        id=user_id,
        is_bot=False,
        first_name=first_name,
        last_name=last_name,
        username=username,
        language_code=language_code,
    )


def make_chat(chat_id: int, user: User | None = None) -> Chat:
    """A private chat with `user` for positive ids, a supergroup for negative ones."""
    if chat_id < 0:
        return Chat(id=chat_id, type="supergroup", title=GROUP_TITLE)
    return Chat(
        id=chat_id,
        type="private",
        first_name=user.first_name if user else None,
        last_name=user.last_name if user else None,
        username=user.username if user else None,
    )


def command_entities(text: str | None) -> list[MessageEntity] | None:
    """The `bot_command` entity Telegram clients attach to a text starting with `/`."""
    if not text or not text.startswith("/"):
        return None
    return [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]


def user_message(
    message_id: int, user: User, chat_id: int | None = None, **content: Any
) -> Message:
    """A message written by `user`; `content` holds text, caption, photo, document, ..."""
    if "text" in content and "entities" not in content:
        content["entities"] = command_entities(content["text"])
    return Message(
        message_id=message_id,
        date=now(),
        chat=make_chat(user.id if chat_id is None else chat_id, user),
        from_user=user,
        **content,
    )


def sticker(n: int, emoji: str = "👍") -> Sticker:
    """A regular static sticker."""
    return Sticker(
        file_id=f"sticker-{n}",
        file_unique_id=f"u-sticker-{n}",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
        emoji=emoji,
    )


def photo(n: int) -> list[PhotoSize]:
    """The sizes Telegram sends for one photo, smallest first."""
    return [
        PhotoSize(file_id=f"photo-{n}-{w}", file_unique_id=f"u-photo-{n}-{w}", width=w, height=w)
        for w in (90, 320, 1280)
    ]


def voice(n: int, duration: int = 3) -> Voice:
    """A voice note."""
    return Voice(
        file_id=f"voice-{n}",
        file_unique_id=f"u-voice-{n}",
        duration=duration,
        mime_type="audio/ogg",
        file_size=duration * 4000,
    )


def document(n: int, file_name: str, size: int, mime_type: str | None = None) -> Document:
    """A file sent as a document."""
    return Document(
        file_id=f"document-{n}",
        file_unique_id=f"u-document-{n}",
        file_name=file_name,
        mime_type=mime_type,
        file_size=size,
    )


def callback_query(query_id: str, user: User, message: Message | None, data: str) -> CallbackQuery:
    """A press by `user` on an inline button carrying `data` under `message`."""
    chat_id = message.chat.id if message else user.id
    return CallbackQuery(
        id=query_id, from_user=user, chat_instance=str(chat_id), message=message, data=data
    )


def message_update(update_id: int, message: Message) -> Update:
    """An update carrying a new message."""
    return Update(update_id=update_id, message=message)


def callback_update(update_id: int, query: CallbackQuery) -> Update:
    """An update carrying a button press."""
    return Update(update_id=update_id, callback_query=query)


def inline_buttons(message: Message) -> list[InlineKeyboardButton]:
    """All inline buttons under `message`, row by row."""
    markup = message.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [button for row in markup.inline_keyboard for button in row]


def find_button(message: Message, label: str) -> InlineKeyboardButton:
    """The callback button whose text contains `label` (an exact match wins over a partial one).

    Raises AssertionError naming the buttons that are there, as a user would see them.
    """
    buttons = inline_buttons(message)
    wanted = label.casefold()
    exact = [b for b in buttons if b.text.casefold() == wanted]
    partial = [b for b in buttons if wanted in b.text.casefold()]
    matches = exact or partial
    labels = [b.text for b in buttons]
    if not matches:
        raise AssertionError(
            f"no button containing {label!r} under message {message.message_id}; "
            f"buttons are {labels}"
        )
    if len(matches) > 1:
        raise AssertionError(
            f"{label!r} matches several buttons {[b.text for b in matches]}; be more specific"
        )
    button = matches[0]
    if button.callback_data is None:
        raise AssertionError(f"button {button.text!r} opens a link or app, it has no callback")
    return button
