"""Routers per journey; each module exposes `create_router()`."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.groups import router as groups
from bot.handlers.progress import router as progress
from bot.handlers.quiz import router as quiz
from bot.routers import (
    consultation,
    dialogue,
    fallback,
    kb,
    menu,
    onboarding,
    outreach,
    privacy,
    staff,
)


def create_routers() -> list[Router]:
    """All routers in the order they must see updates; the fallback router comes last."""
    return [
        onboarding.create_router(),
        privacy.create_router(),
        menu.create_router(),
        staff.create_router(),
        kb.create_router(),
        kb.create_refusal_router(),
        consultation.create_router(),
        outreach.create_router(),
        quiz.create_router(),
        progress.create_router(),
        groups.create_router(),
        dialogue.create_router(),
        fallback.create_router(),
    ]
