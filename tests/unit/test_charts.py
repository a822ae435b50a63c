"""Report charts: /stats sends them as an album, `kelisim report` writes them as PNG files and
as one self-contained HTML page. Each image is checked as a reader would get it: a valid PNG of
the promised size, showing the expected number of series."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMediaGroup, SendMessage, SendPhoto
from aiogram.types import BufferedInputFile
from PIL import Image

from bot.cli import main
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.models import QuestionLog, utcnow
from bot.factory import App, create_app
from bot.services import consultations
from bot.services.consultations import Draft, EventKind, record_event
from bot.services.report_series import build_series, week_of
from tests.consult_support import ADMIN_ID, consult_settings, driver
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_kazakh, looks_russian

WIDTH, HEIGHT = 1000, 560
# chart -> series it shows for the data `populate` writes: two areas; one histogram; ratings
# 2, 4 and 5; the bot's conversations and the handed-over ones; one list of topics.
EXPECTED_SERIES = {
    "consultations_per_week": 2,
    "time_to_first_reply": 1,
    "ratings_by_curator": 3,
    "answered_vs_handed_over": 2,
    "top_unanswered_topics": 1,
}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url)


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, ADMIN_ID, "Admin")


async def populate(app: App, now: datetime) -> None:
    """Three consultations over two weeks, rated by two curators, and a few questions."""
    plans = [
        # area, opened days ago, first reply after (s), curator, name, rating
        ("language", 9, 600, 8001, "Дана", 5),
        ("language", 1, 3 * 3600, 8001, "Дана", 4),
        ("discrimination", 1, 2 * 86400, 8002, "Марат", 2),
    ]
    async with app.session_factory() as session, session.begin():
        for student, (area, days_ago, reply, curator, name, rating) in enumerate(plans, 6001):
            opened = now - timedelta(days=days_ago)
            case = await consultations.open_consultation(
                session, student, Draft(area=area, language="ru")
            )
            case.created_at = opened
            case.curator_id, case.curator_name = curator, name
            await _move_opened(session, case.id, opened)
            await record_event(session, case.id, EventKind.TAKEN, curator, at=opened)
            await record_event(
                session,
                case.id,
                EventKind.FIRST_REPLY,
                curator,
                at=opened + timedelta(seconds=reply),
            )
            await record_event(
                session, case.id, EventKind.SURVEY_ANSWERED, curator, {"rating": rating}
            )
        questions = [
            (7001, "Когда Наурыз?", "answered"),
            (7002, "Где находится общежитие?", "unmatched"),
            (7003, "где находится общежитие", "unmatched"),
            (None, "Жатақхана қайда орналасқан?", "suggested"),
        ]
        for user, text, outcome in questions:
            session.add(
                QuestionLog(
                    created_at=now - timedelta(days=2),
                    user_id=user,
                    text=text,
                    language="ru",
                    intent="ask_faq",
                    intent_confidence=0.9,
                    outcome=outcome,
                )
            )


async def _move_opened(session, case_id: int, opened: datetime) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from bot.db.models import ConsultationEvent

    await session.execute(
        update(ConsultationEvent)
        .where(ConsultationEvent.consultation_id == case_id)
        .values(created_at=opened)
    )


def png_facts(data: bytes) -> tuple[tuple[int, int], dict[str, object]]:
    """Size and text metadata of a PNG that decodes completely and is not blank."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(data)).verify()  # chunk structure and checksums
    image = Image.open(io.BytesIO(data))
    image.load()  # every pixel decodes
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 10, "the image is (nearly) blank"
    return image.size, dict(image.info)


def series_of(info: dict[str, object]) -> int:
    match = re.fullmatch(r"series=(\d+)", str(info.get("Description", "")))
    assert match, info
    return int(match.group(1))


async def test_series_count_the_recorded_events(app: App) -> None:
    now = utcnow()
    await populate(app, now)
    async with app.session_factory() as session:
        series = await build_series(session, since=now - timedelta(days=30))
    assert series.weeks[-1] == week_of(now) and len(series.weeks) >= 5
    assert sum(series.opened_by_area["language"]) == 2
    assert sum(series.opened_by_area["discrimination"]) == 1
    assert sorted(series.first_reply_seconds) == [600.0, 3 * 3600.0, 2 * 86400.0]
    assert [(c.curator_id, c.name, c.counts) for c in series.curator_ratings] == [
        (8001, "Дана", {4: 1, 5: 1}),
        (8002, "Марат", {2: 1}),
    ]
    # Two named students and one anonymous question the bot handled; three handed over.
    assert sum(series.bot_alone) == 4 and sum(series.handed_to_curator) == 3
    assert series.unanswered_topics[0][1] == 2  # the dormitory question, asked twice


async def test_stats_sends_the_charts_as_an_album(
    app: App, admin: ChatDriver, recording: RecordingSession
) -> None:
    await populate(app, utcnow())
    await admin.send("/stats")
    sent = admin.sent()
    assert isinstance(sent[0], SendMessage) and looks_russian(sent[0].text)
    [album] = [m for m in sent if isinstance(m, SendMediaGroup)]
    assert len(album.media) == len(EXPECTED_SERIES)
    shown = {}
    for item in album.media:
        assert isinstance(item.media, BufferedInputFile)
        size, info = png_facts(item.media.data)
        assert size == (WIDTH, HEIGHT)
        assert item.caption and looks_russian(item.caption)
        shown[item.media.filename.removesuffix(".png")] = series_of(info)
    assert shown == EXPECTED_SERIES


async def test_stats_with_nothing_recorded_sends_no_empty_charts(admin: ChatDriver) -> None:
    await admin.send("/stats")
    sent = admin.sent()
    assert [type(m) for m in sent] == [SendMessage]


async def test_stats_sends_a_single_chart_as_a_photo(app: App, admin: ChatDriver) -> None:
    async with app.session_factory() as session, session.begin():
        session.add(
            QuestionLog(
                user_id=None,
                text="кто ты",
                language="ru",
                intent="ask_faq",
                intent_confidence=0.9,
                outcome="answered",
            )
        )
    await admin.send("/stats")
    [photo] = [m for m in admin.sent() if isinstance(m, SendPhoto)]
    assert isinstance(photo.photo, BufferedInputFile)
    size, info = png_facts(photo.photo.data)
    assert size == (WIDTH, HEIGHT) and series_of(info) == 2
    assert photo.caption and looks_russian(photo.caption)


def test_kelisim_report_writes_pngs_and_one_self_contained_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"

    async def prepare() -> None:
        await asyncio.to_thread(upgrade, db_url)
        app = create_app(consult_settings(db_url))
        await populate(app, utcnow())
        await app.aclose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)  # no .env here
    charts, page = tmp_path / "charts", tmp_path / "report.html"
    assert main(["report", "--days", "30", "--charts", str(charts), "--html", str(page)]) == 0
    assert "opened 3" in capsys.readouterr().out
    written = {}
    for path in sorted(charts.glob("*.png")):
        size, info = png_facts(path.read_bytes())
        assert size == (WIDTH, HEIGHT)
        written[path.stem] = series_of(info)
    assert written == EXPECTED_SERIES

    html = page.read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == len(EXPECTED_SERIES)
    for data in images:
        assert png_facts(base64.b64decode(data))[0] == (WIDTH, HEIGHT)
    # Nothing is fetched from elsewhere: no scripts, stylesheets or remote images.
    assert not re.search(r"<script|<link|src=\"(?!data:)", html)
    assert "opened 3" in html

    assert main(["report", "--charts", str(charts), "--lang", "kk"]) == 0
    titles = [
        str(png_facts(path.read_bytes())[1]["Title"]) for path in sorted(charts.glob("*.png"))
    ]
    assert titles and all(looks_kazakh(title) for title in titles)
