"""Consultation reports computed from recorded events, and `kelisim report`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.db.migrate import upgrade
from bot.db.models import QuestionLog, utcnow
from bot.factory import create_app
from bot.services import consultations
from bot.services.consultations import Draft, EventKind, record_event
from bot.services.reports import Durations, build_report
from tests.consult_support import consult_settings

CURATOR = 8001


def test_durations_median_and_p90() -> None:
    d = Durations.of([float(x) for x in range(1, 11)])
    assert (d.count, d.median, d.p90) == (10, 5.5, 9.0)
    assert Durations.of([]) == Durations(0, None, None)


async def _populate(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url)
    app = create_app(consult_settings(db_url))
    start = utcnow() - timedelta(days=1)
    async with app.session_factory() as session, session.begin():
        plans = [
            # student, area, urgent, first reply after, closed after
            (5001, "discrimination", True, 60, 3600),
            (5002, "language", False, 120, 7200),
            (5003, "language", False, 600, None),
        ]
        for i, (student, area, urgent, reply, closed) in enumerate(plans):
            case = await consultations.open_consultation(
                session, student, Draft(area=area, language="kk", urgent=urgent)
            )
            opened = start + timedelta(minutes=i)
            case.created_at = opened
            for event in await consultations_events(session, case.id):
                event.created_at = opened
            await record_event(session, case.id, EventKind.TAKEN, CURATOR, at=opened)
            await record_event(
                session,
                case.id,
                EventKind.FIRST_REPLY,
                CURATOR,
                at=opened + timedelta(seconds=reply),
            )
            if closed is not None:
                await record_event(
                    session,
                    case.id,
                    EventKind.CLOSED,
                    CURATOR,
                    at=opened + timedelta(seconds=closed),
                )
                await record_event(session, case.id, EventKind.SURVEY_SENT, CURATOR)
        await record_event(session, 1, EventKind.SURVEY_ANSWERED, CURATOR, {"rating": 4})
        await record_event(session, 1, EventKind.SURVEY_RESOLVED, CURATOR, {"resolved": True})
        # 5001 asked the bot first and then went to a curator; 5009 was answered by the bot
        # alone (two questions, one conversation); one anonymous question.
        for user in (5001, 5009, 5009, None):
            session.add(
                QuestionLog(
                    created_at=start,
                    user_id=user,
                    text="q",
                    language="kk",
                    intent="ask_faq",
                    intent_confidence=0.9,
                    outcome="answered",
                )
            )
    await app.aclose()


async def consultations_events(session, case_id):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.db.models import ConsultationEvent

    return (
        await session.scalars(
            select(ConsultationEvent).where(ConsultationEvent.consultation_id == case_id)
        )
    ).all()


async def test_report_from_events(db_url: str) -> None:
    await _populate(db_url)
    app = create_app(consult_settings(db_url))
    async with app.session_factory() as session:
        report = await build_report(session)
    await app.aclose()
    t = report.total
    assert (t.opened, t.taken, t.closed, t.cancelled) == (3, 3, 2, 0)
    assert report.by_area["language"].opened == 2 and report.by_area["language"].closed == 1
    assert report.by_urgency["urgent"].opened == 1
    assert report.first_reply.count == 3 and report.first_reply.median == 120.0
    assert report.first_reply.p90 == 600.0
    assert report.resolution.median == 5400.0
    [curator] = report.curators
    assert (curator.surveys_sent, curator.surveys_answered, curator.average_rating) == (2, 1, 4.0)
    assert curator.response_rate == 0.5 and curator.resolved_yes == 1
    assert report.conversations_bot_alone == 2
    assert report.conversations_handed_to_curator == 3


def test_kelisim_report_prints_json_and_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"
    asyncio.run(_populate(db_url))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert main(["report", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["consultations"] == {"opened": 3, "taken": 3, "closed": 2, "cancelled": 0}
    assert data["time_to_first_reply_seconds"]["median"] == 120.0
    assert data["surveys"]["response_rate"] == 0.5
    assert data["conversations"] == {"bot_alone": 2, "handed_to_curator": 3}
    assert main(["report", "--days", "7"]) == 0
    text = capsys.readouterr().out
    assert "opened 3" in text and "median 2m" in text
