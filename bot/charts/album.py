"""Charts for a Telegram chat: drawn off the event loop and sent as one album."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from aiogram.types import BufferedInputFile, InputMediaPhoto, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts.render import Chart, render_charts
from bot.charts.texts import chart_texts
from bot.services.report_series import build_series

# Telegram's limit on photos in one album.
ALBUM_LIMIT = 10


async def draw_report_charts(
    session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> list[Chart]:
    """The report's charts in the current locale; drawing runs in a worker thread."""
    series = await build_series(session, since, until)
    texts = chart_texts()
    return await asyncio.to_thread(render_charts, series, texts)


async def send_charts(message: Message, charts: Sequence[Chart]) -> None:
    """One photo, or an album of them, each captioned with its title."""
    photos = [BufferedInputFile(chart.png, filename=f"{chart.name}.png") for chart in charts]
    if len(photos) == 1:
        await message.answer_photo(photos[0], caption=charts[0].title)
        return
    for start in range(0, len(photos), ALBUM_LIMIT):
        await message.answer_media_group(
            [
                InputMediaPhoto(media=photo, caption=chart.title)
                for photo, chart in zip(
                    photos[start : start + ALBUM_LIMIT],
                    charts[start : start + ALBUM_LIMIT],
                    strict=True,
                )
            ]
        )
