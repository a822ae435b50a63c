"""A test driver that talks to the real dispatcher the way a user does in the Telegram app.

    student = ChatDriver(dp, bot, session, user_id=1001, first_name="Aigerim")
    await student.send_command("/start")
    await student.click("Қазақша")
    assert "сәлем" in student.last_text().lower()

Several drivers (a student, a curator, the curators' group) may share one dispatcher, bot and
`RecordingSession`; each one only sees what was sent to its own chat.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageCaption,
    EditMessageText,
    ForwardMessage,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import (
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from sqlalchemy.exc import OperationalError

from tests.fakes import builders
from tests.fakes.recording import RecordingSession, chat_of


class ChatDriver:
    """One Telegram user in one chat (their private chat by default, or a group by `chat_id`)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session: RecordingSession | None = None,
        *,
        user_id: int = 1001,
        first_name: str = "Aigerim",
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "ru",
        chat_id: int | None = None,
        **feed_kwargs: Any,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        recording = session if session is not None else bot.session
        if not isinstance(recording, RecordingSession):
            raise TypeError("ChatDriver needs a bot whose session is a RecordingSession")
        self.session = recording
        self.user = builders.make_user(
            user_id,
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
        )
        self.chat_id = user_id if chat_id is None else chat_id
        self.feed_kwargs = feed_kwargs
        self._mark = len(recording.requests)
        self._callback_ids: set[str] = set()
        self._last_callback_id: str | None = None
        # After each action, wait for the outbox to deliver what the bot owes.
        self.drains = True

    # ----- what the user does -----

    async def send(self, text: str, **content: Any) -> Message:
        """Write `text` (a `/command` gets its bot_command entity, as in the app)."""
        return await self._send_message(text=text, **content)

    async def send_command(self, command: str, args: str | None = None) -> Message:
        """Send `/command` or `/command args`."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        return await self.send(f"{command} {args}" if args else command)

    async def send_sticker(self, emoji: str = "👍") -> Message:
        """Send a sticker."""
        return await self._send_message(sticker=builders.sticker(self._counter(), emoji))

    async def send_photo(self, caption: str | None = None) -> Message:
        """Send a photo, optionally with a caption."""
        return await self._send_message(photo=builders.photo(self._counter()), caption=caption)

    async def send_album(self, count: int, caption: str | None = None) -> list[Message]:
        """Send `count` photos as one album: Telegram delivers them as separate updates that
        share a media_group_id, the caption on the first."""
        group = f"album-{self._counter()}"
        sent = []
        for index in range(count):
            sent.append(
                await self._send_message(
                    photo=builders.photo(self._counter()),
                    caption=caption if index == 0 else None,
                    media_group_id=group,
                )
            )
        return sent

    async def edit(self, message: Message, text: str) -> Message:
        """Edit one of this user's messages: Telegram sends an edited_message update."""
        edited = message.model_copy(
            update={"text": text, "entities": builders.command_entities(text), "edit_date": 1}
        )
        self.session.remember(edited)
        self.mark_read()
        update = Update(update_id=self.session.next_update_id(), edited_message=edited)
        await self.dispatcher.feed_update(self.bot, update, **self.feed_kwargs)
        await self.drain()
        return edited

    async def set_blocked(self, blocked: bool) -> None:
        """Block (or unblock) the bot in the private chat: a my_chat_member update."""
        bot_user = builders.make_user(self.bot.id, "Kelisim", language_code=None)
        member = ChatMemberMember(user=bot_user)
        banned = ChatMemberBanned(user=bot_user, until_date=0)
        old, new = (member, banned) if blocked else (banned, member)
        event = ChatMemberUpdated(
            chat=builders.make_chat(self.chat_id, self.user),
            from_user=self.user,
            date=builders.now(),
            old_chat_member=old,
            new_chat_member=new,
        )
        self.mark_read()
        update = Update(update_id=self.session.next_update_id(), my_chat_member=event)
        await self.dispatcher.feed_update(self.bot, update, **self.feed_kwargs)
        await self.drain()

    async def send_voice(self, duration: int = 3) -> Message:
        """Send a voice note."""
        return await self._send_message(voice=builders.voice(self._counter(), duration))

    async def send_document(
        self,
        file_name: str = "document.pdf",
        content: bytes = b"%PDF-1.4 test",
        *,
        mime_type: str | None = "application/pdf",
        caption: str | None = None,
    ) -> Message:
        """Send a file; `bot.download()` of it returns `content`."""
        doc = builders.document(self._counter(), file_name, len(content), mime_type)
        self.session.attach_file(doc.file_id, content)
        return await self._send_message(document=doc, caption=caption)

    async def click(self, label: str, message_id: int | None = None) -> None:
        """Press the inline button whose text contains `label`.

        The button is looked up under `message_id`, or under the newest bot message in this
        chat that still shows an inline keyboard.
        """
        message = self._keyboard_message(message_id)
        button = builders.find_button(message, label)
        await self._press(message, button.callback_data or "")

    async def click_data(self, data: str, message_id: int | None = None) -> None:
        """Send a button press with arbitrary (forged or stale) callback data.

        Without `message_id` it is pressed under the newest bot message in this chat.
        """
        if message_id is None:
            mine = self._bot_messages()
            if not mine:
                raise AssertionError("the bot has sent no message to press a button under")
            message = mine[-1]
        else:
            message = self.session.message(self.chat_id, message_id) or Message(
                message_id=message_id, date=builders.now(), chat=builders.make_chat(self.chat_id)
            )
        await self._press(message, data)

    async def feed(self, update: Update) -> Any:
        """Feed any update, starting a new action; a method returned by a handler is sent."""
        self.mark_read()
        result = await self.dispatcher.feed_update(self.bot, update, **self.feed_kwargs)
        await self.drain()
        # Polling sends a method a handler returns instead of awaiting; do the same here.
        if isinstance(result, TelegramMethod):
            await self.bot(result)
        return result

    async def drain(self) -> None:
        """Wait until the outbox has delivered what the bot owes (as a user would, briefly)."""
        outbox = self.dispatcher.workflow_data.get("outbox")
        if outbox is not None and self.drains:
            try:
                await outbox.drain(self.bot)
            except OperationalError:
                pass  # the store is down: nothing could have been written to the outbox

    def mark_read(self) -> None:
        """Forget what was sent so far: `sent()` starts from here."""
        self._mark = len(self.session.requests)

    # ----- what the user sees -----

    def sent(self) -> list[TelegramMethod[Any]]:
        """Methods addressed to this chat, or answering this user's clicks, since the last action.

        Calls that failed (say, the user blocked the bot) are included: they were attempted.
        """
        return [m for m in self.session.requests[self._mark :] if self._is_mine(m)]

    def texts(self) -> list[str]:
        """Texts and captions the user received (sent or edited) since the last action."""
        delivered = zip(
            self.session.requests[self._mark :], self.session.responses[self._mark :], strict=False
        )
        return [
            text
            for method, response in delivered
            if self._is_mine(method)
            and not isinstance(response, Exception)
            and (text := self._text_of(method)) is not None
        ]

    def last_text(self) -> str:
        """The last text or caption sent or edited since the last action."""
        texts = self.texts()
        if not texts:
            raise AssertionError(
                f"the bot sent no text to chat {self.chat_id} since the last action; "
                f"it sent {[type(m).__name__ for m in self.sent()]}"
            )
        return texts[-1]

    def buttons(self, message_id: int | None = None) -> list[str]:
        """Labels of the inline keyboard the user sees last (or under `message_id`)."""
        return [b.text for b in builders.inline_buttons(self._keyboard_message(message_id))]

    def reply_buttons(self) -> list[str]:
        """Labels of the reply keyboard currently shown under the input field ([] if none)."""
        for method in reversed(self.session.requests):
            if not self._is_mine(method):
                continue
            markup = getattr(method, "reply_markup", None)
            if isinstance(markup, ReplyKeyboardRemove):
                return []
            if isinstance(markup, ReplyKeyboardMarkup):
                return [b.text for row in markup.keyboard for b in row]
        return []

    def bot_messages(self) -> list[Message]:
        """The bot's messages as they now stand in this chat (after edits and deletions)."""
        return self._bot_messages()

    def callback_answer(self) -> AnswerCallbackQuery:
        """The bot's answer to the last click; fails if the button was left spinning."""
        for method in self.sent():
            if (
                isinstance(method, AnswerCallbackQuery)
                and method.callback_query_id == self._last_callback_id
            ):
                return method
        raise AssertionError("the bot did not answer the last button press (it keeps spinning)")

    def answered_callback_text(self) -> str | None:
        """The toast or alert text the last click was answered with (None: silent answer)."""
        return self.callback_answer().text

    # ----- internals -----

    def _counter(self) -> int:
        return self.session.next_update_id()

    async def _send_message(self, **content: Any) -> Message:
        message = builders.user_message(
            self.session.next_message_id(self.chat_id),
            self.user,
            self.chat_id,
            **{k: v for k, v in content.items() if v is not None},
        )
        self.session.remember(message)
        await self.feed(builders.message_update(self.session.next_update_id(), message))
        return message

    async def _press(self, message: Message, data: str) -> None:
        query_id = str(self.session.next_update_id() * 7919)  # opaque, unique, like Telegram's
        self._callback_ids.add(query_id)
        self._last_callback_id = query_id
        query = builders.callback_query(query_id, self.user, message, data)
        await self.feed(builders.callback_update(self.session.next_update_id(), query))

    def _is_mine(self, method: TelegramMethod[Any]) -> bool:
        if isinstance(method, AnswerCallbackQuery):
            return method.callback_query_id in self._callback_ids
        return chat_of(method) == self.chat_id

    def _bot_messages(self) -> list[Message]:
        return [
            m
            for m in self.session.chat_messages(self.chat_id)
            if m.from_user is not None and m.from_user.id == self.bot.id
        ]

    def _keyboard_message(self, message_id: int | None) -> Message:
        return self.session.keyboard_message(self.chat_id, message_id)

    def _text_of(self, method: TelegramMethod[Any]) -> str | None:
        if isinstance(method, SendMessage | EditMessageText):
            return method.text
        if isinstance(method, SendPhoto | SendDocument | SendVoice | EditMessageCaption):
            return method.caption
        if isinstance(method, CopyMessage) and method.caption is not None:
            return method.caption
        if isinstance(method, CopyMessage | ForwardMessage):
            source = self.session.message(method.from_chat_id, method.message_id)
            return (source.text or source.caption) if source else None
        return None
