"""Webhook mode: an aiohttp server that Telegram (through a reverse proxy) posts updates to.

An update is acknowledged only once it has been handled: the response is written after the
dispatcher returns, so a replica that dies mid-update never answers, and Telegram delivers the
update again (to another replica behind the proxy). A request without the configured secret
token is refused with 403 before it reaches the dispatcher.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def secret_guard(secret: str | None) -> Middleware:
    """aiohttp middleware: 403 unless the request carries the webhook's secret token."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == WEBHOOK_PATH and secret:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                log.warning("webhook request from %s without the secret token", request.remote)
                return web.Response(status=403, text="Forbidden")
        return await handler(request)

    return guard


def create_web_app(bot: Bot, dp: Dispatcher, secret: str | None) -> web.Application:
    """The webhook endpoint (answered after handling) and a /healthz for the proxy."""
    web_app = web.Application(middlewares=[secret_guard(secret)])
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(web_app, path=WEBHOOK_PATH)

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app.router.add_get("/healthz", healthz)
    setup_application(web_app, dp, bot=bot)
    return web_app
