"""A fake Telegram Bot API server on loopback, for tests that run the bot as its own process.

    async with FakeBotAPIServer() as server:
        # run `kelisim run` with TELEGRAM_API_URL=server.url and BOT_TOKEN=TEST_BOT_TOKEN
        server.push_message(1001, "/start")
        reply = await server.wait_for("sendMessage", lambda call: call.chat_id == 1001)

URLs have the shape aiogram's `TelegramAPIServer.from_base(server.url)` produces:
`{url}/bot{token}/{method}` and `{url}/file/bot{token}/{path}`. Requests may be JSON,
url-encoded or multipart (aiogram sends form data; files as `attach://` parts). The answers
come from a `RecordingSession`, so they match what the in-process tests see, and its
`fail_next` / `fail_always` turn into the HTTP errors Telegram returns.

The server runs in the test's event loop: while the bot process runs, the test must wait with
`await` (asyncio subprocesses, `wait_for`), never with blocking calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aiogram.methods
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import BufferedInputFile, Message, TelegramObject, Update, User
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from pydantic import ValidationError

from tests.fakes import builders
from tests.fakes.recording import Failure, RecordingSession

# Every Bot API method aiogram knows, by its lower-cased API name.
_METHODS: dict[str, type[TelegramMethod[Any]]] = {
    cls.__api_method__.lower(): cls
    for name in aiogram.methods.__all__
    if isinstance(cls := getattr(aiogram.methods, name), type)
    and issubclass(cls, TelegramMethod)
    and isinstance(getattr(cls, "__api_method__", None), str)
}

# Form values are strings; these stay strings even when they look like numbers or JSON.
_TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "data",
        "callback_data",
        "callback_query_id",
        "inline_message_id",
        "description",
        "short_description",
        "name",
        "title",
        "query",
        "url",
        "parse_mode",
    }
)

_STATUS: list[tuple[type[TelegramAPIError], int]] = [
    (TelegramRetryAfter, 429),
    (TelegramBadRequest, 400),
    (TelegramUnauthorizedError, 401),
    (TelegramForbiddenError, 403),
    (TelegramNotFound, 404),
    (TelegramConflictError, 409),
    (TelegramServerError, 500),
]


@dataclass
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    filename: str
    content: bytes


@dataclass
class ApiCall:
    """One HTTP call to the fake server and what it answered."""

    method: str
    """The API method name as Telegram spells it (`sendMessage`), whatever case was used."""
    params: dict[str, Any]
    """Parameters decoded from JSON, query or form (numbers, booleans and JSON values parsed)."""
    token: str
    files: dict[str, UploadedFile] = field(default_factory=dict)
    """Uploaded files by the parameter they were given for (`photo`, `document`, ...)."""
    status: int | None = None
    response: dict[str, Any] | None = None

    @property
    def chat_id(self) -> int | str | None:
        """The chat the call addresses, if any."""
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """The text or caption the call carries, if any."""
        return self.params.get("text", self.params.get("caption"))

    @property
    def ok(self) -> bool:
        """Whether the server answered with success."""
        return bool(self.response and self.response.get("ok"))


def _decode(key: str, value: str) -> Any:
    if key in _TEXT_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    # A plain JSON string literal in a form value would be unusual; keep the raw text then.
    return value if isinstance(decoded, str) else decoded


def _jsonable(value: Any) -> Any:
    if isinstance(value, TelegramObject):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _error_body(error: TelegramAPIError) -> tuple[int, dict[str, Any]]:
    status = next((code for cls, code in _STATUS if isinstance(error, cls)), 400)
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": error.message}
    if isinstance(error, TelegramRetryAfter):
        body["description"] = f"Too Many Requests: retry after {error.retry_after}"
        body["parameters"] = {"retry_after": error.retry_after}
    return status, body


class FakeBotAPIServer:
    """A Telegram Bot API server on 127.0.0.1 that queues updates and records every call."""

    def __init__(
        self,
        *,
        missing_methods: Iterable[str] = (),
        bot_username: str = builders.TEST_BOT_USERNAME,
    ) -> None:
        #: The in-memory Telegram behind the server; its `requests` are the decoded methods.
        self.session = RecordingSession(bot_username=bot_username)
        #: Every HTTP call received, in order (getUpdates included).
        self.calls: list[ApiCall] = []
        self.missing_methods = {name.lower() for name in missing_methods}
        self._bots: dict[str, Bot] = {}
        self._users: dict[int, User] = {}
        self._pending: list[tuple[int, dict[str, Any]]] = []
        self._changed = asyncio.Event()
        self._closing = False
        self._mark = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ----- lifecycle -----

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Cancelling an abandoned long poll lets a client stop polling without waiting it out.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Release waiting long polls and stop listening."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """Base URL, e.g. for `TELEGRAM_API_URL` or `TelegramAPIServer.from_base(...)`."""
        if self._port is None:
            raise RuntimeError("the server is not started")
        return f"http://127.0.0.1:{self._port}"

    def api(self) -> TelegramAPIServer:
        """The aiogram server description pointing at this fake."""
        return TelegramAPIServer.from_base(self.url)

    # ----- what users do -----

    def push_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        first_name: str = "Aigerim",
        username: str | None = None,
        language_code: str | None = "ru",
        chat_id: int | None = None,
        **content: Any,
    ) -> Update:
        """Queue a message from a user (text, or other content such as `photo=`)."""
        user = self._users.setdefault(
            user_id,
            builders.make_user(user_id, first_name, username=username, language_code=language_code),
        )
        chat = user_id if chat_id is None else chat_id
        if text is not None:
            content["text"] = text
        message = builders.user_message(self.session.next_message_id(chat), user, chat, **content)
        self.session.remember(message)
        return self.push_update(builders.message_update(self.session.next_update_id(), message))

    def push_callback(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> Update:
        """Queue a button press with `data` under a message (a made-up one if it is unknown)."""
        chat = user_id if chat_id is None else chat_id
        message = self.session.message(chat, message_id) or Message(
            message_id=message_id, date=builders.now(), chat=builders.make_chat(chat)
        )
        user = self._users.get(user_id) or builders.make_user(user_id)
        query_id = str(self.session.next_update_id() * 7919)
        query = builders.callback_query(query_id, user, message, data)
        return self.push_update(builders.callback_update(self.session.next_update_id(), query))

    def push_click(
        self, user_id: int, label: str, *, message_id: int | None = None, chat_id: int | None = None
    ) -> Update:
        """Queue a press on the inline button labelled `label` that the user sees last."""
        chat = user_id if chat_id is None else chat_id
        message = self.session.keyboard_message(chat, message_id)
        button = builders.find_button(message, label)
        return self.push_callback(
            user_id, message.message_id, button.callback_data or "", chat_id=chat
        )

    def push_update(self, update: Update) -> Update:
        """Queue any update for getUpdates; `wait_for` then looks at calls from here on."""
        payload = update.model_dump(mode="json", by_alias=True, exclude_none=True)
        self._pending.append((update.update_id, payload))
        self.mark()
        self._notify()
        return update

    # ----- test controls and assertions -----

    def fail_next(
        self, method_type: type[TelegramMethod[Any]], failure: Failure, **kw: Any
    ) -> None:
        """Make the next call of a method fail with the HTTP error Telegram would give."""
        self.session.fail_next(method_type, failure, **kw)

    def fail_always(
        self, method_type: type[TelegramMethod[Any]], failure: Failure, **kw: Any
    ) -> None:
        """Make every call of a method fail with the HTTP error Telegram would give."""
        self.session.fail_always(method_type, failure, **kw)

    def remove_method(self, name: str) -> None:
        """Answer `name` with 404, as a self-hosted server lacking it does."""
        self.missing_methods.add(name.lower())

    def mark(self) -> None:
        """Make `wait_for` look only at calls made from now on."""
        self._mark = len(self.calls)

    def calls_of(self, method: str) -> list[ApiCall]:
        """All recorded calls of one method (any case)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 (reads better in tests than a wrapper)
        since: int | None = None,
    ) -> ApiCall:
        """The first call of `method` matching `predicate` since the last push (or `since`).

        Waits up to `timeout` seconds for it to arrive, then fails listing what did arrive.
        """
        start = self._mark if since is None else since

        def found() -> ApiCall | None:
            for call in self.calls[start:]:
                if call.method.lower() == method.lower() and (predicate is None or predicate(call)):
                    return call
            return None

        try:
            async with asyncio.timeout(timeout):
                while (call := found()) is None:
                    await self._changed_since()
                return call
        except TimeoutError:
            seen = [(c.method, c.status, c.text) for c in self.calls[start:]]
            raise AssertionError(
                f"no matching {method} within {timeout}s; calls since the mark: {seen}"
            ) from None

    # ----- HTTP -----

    def _notify(self) -> None:
        # Wake everyone waiting on the current event; later waiters get a fresh one.
        self._changed.set()
        self._changed = asyncio.Event()

    async def _changed_since(self) -> None:
        await self._changed.wait()

    async def _handle_method(self, request: web.Request) -> web.Response:
        token, name = request.match_info["token"], request.match_info["method"]
        params, files = await self._read_params(request)
        method_cls = _METHODS.get(name.lower())
        call = ApiCall(
            method=method_cls.__api_method__ if method_cls else name,
            params=params,
            token=token,
            files=files,
        )
        if name.lower() == "getupdates":
            self.calls.append(call)
            self._notify()
            status, body = 200, {"ok": True, "result": await self._get_updates(params)}
        else:
            status, body = await self._call(token, name, method_cls, params, files)
            self.calls.append(call)
        call.status, call.response = status, body
        self._notify()
        return web.json_response(body, status=status)

    async def _call(
        self,
        token: str,
        name: str,
        method_cls: type[TelegramMethod[Any]] | None,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
    ) -> tuple[int, dict[str, Any]]:
        if method_cls is None or name.lower() in self.missing_methods:
            return 404, {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        try:
            bot = self._bots.get(token) or self._bots.setdefault(
                token, Bot(token, session=self.session)
            )
        except TokenValidationError:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        values = dict(params)
        for key, upload in files.items():
            values[key] = BufferedInputFile(upload.content, filename=upload.filename)
        try:
            method = method_cls.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": f"Bad Request: {where}: {first['msg']}",
            }
        try:
            result = await bot(method)
        except TelegramAPIError as error:
            return _error_body(error)
        except NotImplementedError as error:
            # Surfaces in the bot's log as a server error naming what the fake lacks.
            return 501, {"ok": False, "error_code": 501, "description": str(error)}
        return 200, {"ok": True, "result": _jsonable(result)}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset:
            # Telegram forgets every update below the offset: they are confirmed.
            self._pending = [(uid, u) for uid, u in self._pending if uid >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if not self._pending and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    while not self._pending and not self._closing:
                        await self._changed_since()
        return [payload for _, payload in self._pending[:limit]]

    async def _handle_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        content = self.session.files.get(file_id)
        if content is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=content)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.filename, value.file.read())
                else:
                    params[key] = _decode(key, str(value))
        # aiogram names each file part at random and points the parameter to it: attach://<part>
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                part = value.removeprefix("attach://")
                if part in files:
                    files[key] = files.pop(part)
                    del params[key]
        return params, files
