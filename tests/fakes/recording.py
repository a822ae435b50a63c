"""A Bot API session that records every method and answers like Telegram, without a network.

It also keeps what Telegram keeps: the messages of each chat (sent by users through the
drivers and by the bot), so edits, copies and button presses see the current state, and an
edit that changes nothing fails with "message is not modified" as it does in production.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    GetFile,
    GetMe,
    GetWebhookInfo,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    Document,
    File,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
    MessageId,
    PhotoSize,
    TelegramObject,
    User,
    Voice,
    WebhookInfo,
)

from tests.fakes import builders

ErrorFactory = Callable[[TelegramMethod[Any]], TelegramAPIError]
#: What a test may ask a method to fail with: an error class (a typical Telegram description
#: is filled in), a ready error, or a factory called with the method being sent.
Failure = type[TelegramAPIError] | TelegramAPIError | ErrorFactory

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_DESCRIPTIONS: dict[type[TelegramAPIError], str] = {
    TelegramForbiddenError: "Forbidden: bot was blocked by the user",
    TelegramBadRequest: NOT_MODIFIED,
    TelegramNotFound: "Not Found",
}

_T = TypeVar("_T", bound=TelegramObject)


def bot_blocked(method: TelegramMethod[Any]) -> TelegramAPIError:
    """The error Telegram returns for a user who blocked the bot."""
    return TelegramForbiddenError(method=method, message=_DESCRIPTIONS[TelegramForbiddenError])


def message_not_modified(method: TelegramMethod[Any]) -> TelegramAPIError:
    """The error for an edit that changes nothing."""
    return TelegramBadRequest(method=method, message=NOT_MODIFIED)


def method_not_found(method: TelegramMethod[Any]) -> TelegramAPIError:
    """The error a Bot API server gives for a method it does not implement."""
    return TelegramNotFound(method=method, message="Not Found: method not found")


def retry_after(seconds: int = 5) -> ErrorFactory:
    """Flood control: Telegram asks to wait `seconds` before the next call."""

    def make(method: TelegramMethod[Any]) -> TelegramAPIError:
        return TelegramRetryAfter(
            method=method, message=f"Too Many Requests: retry after {seconds}", retry_after=seconds
        )

    return make


def _build_error(failure: Failure, method: TelegramMethod[Any]) -> TelegramAPIError:
    if isinstance(failure, TelegramAPIError):
        return failure
    if isinstance(failure, type) and issubclass(failure, TelegramAPIError):
        if issubclass(failure, TelegramRetryAfter):
            return retry_after(1)(method)
        description = _DESCRIPTIONS.get(failure, f"{failure.__name__} injected by the test")
        return failure(method=method, message=description)
    return cast(ErrorFactory, failure)(method)


@dataclass
class _Rule:
    method_type: type[TelegramMethod[Any]]
    failure: Failure
    chat_id: int | None
    once: bool

    def matches(self, method: TelegramMethod[Any]) -> bool:
        return isinstance(method, self.method_type) and (
            self.chat_id is None or chat_of(method) == self.chat_id
        )


def chat_of(method: TelegramMethod[Any]) -> int | None:
    """The numeric chat a method is addressed to, if any."""
    chat_id = getattr(method, "chat_id", None)
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
        return int(chat_id)
    return None


def _bound(obj: _T, bot: Bot) -> _T:
    # A round trip with the bot in the context binds nested objects too, as a real response
    # does, so `(await message.answer(...)).edit_text(...)` works in handlers.
    return type(obj).model_validate(obj.model_dump(), context={"bot": bot})


def _markup(value: Any) -> InlineKeyboardMarkup | None:
    # Only inline keyboards stay attached to a message; reply keyboards live in the client.
    return value if isinstance(value, InlineKeyboardMarkup) else None


def _same_markup(a: InlineKeyboardMarkup | None, b: InlineKeyboardMarkup | None) -> bool:
    def dump(m: InlineKeyboardMarkup | None) -> Any:
        return m.model_dump(exclude_none=True) if m and m.inline_keyboard else None

    return bool(dump(a) == dump(b))


class RecordingSession(BaseSession):
    """Records every Telegram method in `requests` and answers it from an in-memory Telegram.

    `responses[i]` is what `requests[i]` returned (or the error it raised).
    """

    def __init__(self, *, bot_username: str = builders.TEST_BOT_USERNAME) -> None:
        super().__init__()
        self.bot_username = bot_username
        self.requests: list[TelegramMethod[Any]] = []
        self.responses: list[Any] = []
        # Every message Telegram knows about: chat id -> message id -> message (ids ascend).
        self._chats: dict[int, dict[int, Message]] = {}
        #: Contents a test attached to file ids, served by `bot.download(...)`.
        self.files: dict[str, bytes] = {}
        self._rules: list[_Rule] = []
        self._canned: dict[type[TelegramMethod[Any]], Any] = {}
        self._last_message_id: dict[int, int] = {}
        self._last_update_id = 10_000
        self._uploads = 0

    # ----- test controls -----

    def fail_next(
        self,
        method_type: type[TelegramMethod[Any]],
        failure: Failure = TelegramBadRequest,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `method_type` call (to `chat_id`, if given) raise `failure`."""
        self._rules.append(_Rule(method_type, failure, chat_id, once=True))

    def fail_always(
        self,
        method_type: type[TelegramMethod[Any]],
        failure: Failure = TelegramBadRequest,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Make every `method_type` call (to `chat_id`, if given) raise `failure`."""
        self._rules.append(_Rule(method_type, failure, chat_id, once=False))

    def clear_failures(self) -> None:
        """Let every method succeed again."""
        self._rules.clear()

    def respond(self, method_type: type[TelegramMethod[Any]], result: Any) -> None:
        """Answer `method_type` with `result`, or with `result(method)` when it is callable."""
        self._canned[method_type] = result

    def of_type(
        self, method_type: type[TelegramMethod[TelegramType]], chat_id: int | None = None
    ) -> list[TelegramMethod[TelegramType]]:
        """The recorded calls of one method, optionally to one chat."""
        return [
            m
            for m in self.requests
            if isinstance(m, method_type) and (chat_id is None or chat_of(m) == chat_id)
        ]

    # ----- Telegram's bookkeeping, also used by the drivers -----

    def next_message_id(self, chat_id: int) -> int:
        """Message ids grow per chat, shared by the user's and the bot's messages."""
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def next_update_id(self) -> int:
        """Update ids grow across all chats of the bot."""
        self._last_update_id += 1
        return self._last_update_id

    def remember(self, message: Message) -> Message:
        """Store a message (a user's, or a new state of a bot's) as Telegram would."""
        self._chats.setdefault(message.chat.id, {})[message.message_id] = message
        return message

    def message(self, chat_id: int | str, message_id: int) -> Message | None:
        """A message as it now stands in a chat, or None if it never existed or was deleted."""
        return self._chats.get(int(chat_id), {}).get(message_id)

    def chat_messages(self, chat_id: int) -> list[Message]:
        """Messages that currently exist in a chat, oldest first."""
        return sorted(self._chats.get(chat_id, {}).values(), key=lambda m: m.message_id)

    def keyboard_message(self, chat_id: int, message_id: int | None = None) -> Message:
        """The bot message whose inline buttons a user in `chat_id` would press.

        That is `message_id`, or the newest bot message that still shows inline buttons.
        """
        if message_id is not None:
            message = self.message(chat_id, message_id)
            if message is None:
                raise AssertionError(f"message {message_id} does not exist in chat {chat_id}")
            return message
        for message in reversed(self._chats.get(chat_id, {}).values()):
            if message.from_user and message.from_user.is_bot and builders.inline_buttons(message):
                return message
        raise AssertionError(f"no bot message with inline buttons in chat {chat_id}")

    def attach_file(self, file_id: str, content: bytes) -> None:
        """Make `bot.download(file_id)` return `content`."""
        self.files[file_id] = content

    # ----- BaseSession -----

    async def close(self) -> None:
        """Nothing to release."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (BaseSession's signature)
    ) -> TelegramType:
        """Record `method`, then fail it as the test asked or answer it like Telegram."""
        self.requests.append(method)
        try:
            for rule in self._rules:
                if rule.matches(method):
                    if rule.once:
                        self._rules.remove(rule)
                    raise _build_error(rule.failure, method)
            result = self._answer(bot, method)
        except TelegramAPIError as error:
            self.responses.append(error)
            raise
        self.responses.append(result)
        return cast(TelegramType, result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (BaseSession's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """Serve a file attached with `attach_file` (its path is `files/<file_id>`)."""
        file_id = url.rsplit("/files/", 1)[-1]
        if file_id not in self.files:
            raise LookupError(f"no content attached to file {file_id!r}; use attach_file()")
        yield self.files[file_id]

    # ----- answers -----

    def _answer(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        canned = self._canned.get(type(method))
        if canned is not None:
            return canned(method) if callable(canned) else canned
        if isinstance(method, GetMe):
            return User(id=bot.id, is_bot=True, first_name="Kelisim", username=self.bot_username)
        if isinstance(method, SendMessage):
            return self._send(bot, method, text=method.text)
        if isinstance(method, SendPhoto):
            file_id, unique_id = self._file(method.photo, "photo")
            photo = [PhotoSize(file_id=file_id, file_unique_id=unique_id, width=1280, height=1280)]
            return self._send(bot, method, photo=photo, caption=method.caption)
        if isinstance(method, SendMediaGroup):
            return [self._album_item(bot, method, item) for item in method.media]
        if isinstance(method, SendDocument):
            file_id, unique_id = self._file(method.document, "document")
            name = getattr(method.document, "filename", None)
            doc = Document(file_id=file_id, file_unique_id=unique_id, file_name=name)
            return self._send(bot, method, document=doc, caption=method.caption)
        if isinstance(method, SendVoice):
            file_id, unique_id = self._file(method.voice, "voice")
            voice = Voice(file_id=file_id, file_unique_id=unique_id, duration=method.duration or 1)
            return self._send(bot, method, voice=voice, caption=method.caption)
        if isinstance(method, CopyMessage | ForwardMessage):
            return self._copy(bot, method)
        if isinstance(method, EditMessageText):
            return self._edit(bot, method, text=method.text, reply_markup=method.reply_markup)
        if isinstance(method, EditMessageCaption):
            return self._edit(bot, method, caption=method.caption, reply_markup=method.reply_markup)
        if isinstance(method, EditMessageReplyMarkup):
            return self._edit(bot, method, reply_markup=method.reply_markup)
        if isinstance(method, DeleteMessage):
            if self._chats.get(int(method.chat_id), {}).pop(method.message_id, None) is None:
                raise TelegramBadRequest(method, "Bad Request: message to delete not found")
            return True
        if isinstance(method, GetWebhookInfo):
            return WebhookInfo(url="", has_custom_certificate=False, pending_update_count=0)
        if isinstance(method, GetFile):
            return _bound(
                File(
                    file_id=method.file_id,
                    file_unique_id=f"u-{method.file_id}",
                    file_path=f"files/{method.file_id}",
                ),
                bot,
            )
        if isinstance(method, AnswerCallbackQuery) or method.__returning__ is bool:
            return True
        raise NotImplementedError(
            f"RecordingSession has no answer for {type(method).__name__}; "
            "give one with session.respond(...)"
        )

    def _album_item(self, bot: Bot, method: SendMediaGroup, item: Any) -> Message:
        """One message of an album; photos get a size, other media are kept as captions."""
        if not isinstance(item, InputMediaPhoto):
            return self._send(bot, method, caption=item.caption)
        file_id, unique_id = self._file(item.media, "photo")
        photo = [PhotoSize(file_id=file_id, file_unique_id=unique_id, width=1280, height=1280)]
        return self._send(bot, method, photo=photo, caption=item.caption)

    def _file(self, value: InputFile | str, kind: str) -> tuple[str, str]:
        """File id and unique id: kept for a file Telegram knows, new for an upload."""
        if isinstance(value, str):
            return value, f"u-{value}"
        self._uploads += 1
        return f"bot-{kind}-{self._uploads}", f"u-{kind}-{self._uploads}"

    def _bot_message(self, bot: Bot, chat_id: int, **content: Any) -> Message:
        bot_user = User(id=bot.id, is_bot=True, first_name="Kelisim", username=self.bot_username)
        known = self._chats.get(chat_id)
        # Keep the chat as the user's own messages describe it (names, type).
        chat = next(iter(known.values())).chat if known else builders.make_chat(chat_id)
        return Message(
            message_id=self.next_message_id(chat_id),
            date=builders.now(),
            chat=chat,
            from_user=bot_user,
            **{k: v for k, v in content.items() if v is not None},
        )

    def _send(self, bot: Bot, method: TelegramMethod[Any], **content: Any) -> Message:
        chat_id = chat_of(method)
        if chat_id is None:
            raise TelegramBadRequest(method, "Bad Request: chat not found")
        markup = _markup(getattr(method, "reply_markup", None))
        message = self._bot_message(bot, chat_id, reply_markup=markup, **content)
        return _bound(self.remember(message), bot)

    def _copy(self, bot: Bot, method: CopyMessage | ForwardMessage) -> Message | MessageId:
        source = self.message(method.from_chat_id, method.message_id)
        if source is None:
            sent: TelegramMethod[Any] = method
            raise TelegramBadRequest(sent, "Bad Request: message to copy not found")
        content = source.model_dump(
            include={"text", "entities", "photo", "document", "voice", "sticker", "caption"},
            exclude_none=True,
        )
        if isinstance(method, CopyMessage) and method.caption is not None:
            content["caption"] = method.caption
        message = self._send(bot, method, **content)
        if isinstance(method, ForwardMessage):
            return message
        return MessageId(message_id=message.message_id)

    def _edit(self, bot: Bot, method: TelegramMethod[Any], **changes: Any) -> Message | bool:
        if getattr(method, "inline_message_id", None):
            return True
        chat_id, message_id = chat_of(method), getattr(method, "message_id", None)
        current = self.message(chat_id or 0, message_id or 0)
        if current is None:
            raise TelegramBadRequest(method, "Bad Request: message to edit not found")
        if not (current.from_user and current.from_user.id == bot.id):
            raise TelegramBadRequest(method, "Bad Request: message can't be edited")
        if "text" in changes and current.text is None:
            raise TelegramBadRequest(method, "Bad Request: there is no text in the message to edit")
        # Telegram drops an inline keyboard that an edit does not repeat.
        changes["reply_markup"] = _markup(changes.get("reply_markup"))
        unchanged = all(
            getattr(current, field) == value
            for field, value in changes.items()
            if field != "reply_markup"
        ) and _same_markup(current.reply_markup, changes["reply_markup"])
        if unchanged:
            raise TelegramBadRequest(method, NOT_MODIFIED)
        edit_date = int(builders.now().timestamp())  # an int in the Bot API, unlike `date`
        edited = current.model_copy(update={**changes, "edit_date": edit_date})
        return _bound(self.remember(edited), bot)
