"""What /learn and the courses intent show: curated materials in the student's language, with links."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LearningMaterial
from bot.handlers.callbacks import MenuItem
from bot.handlers.progress.ui import material_buttons
from bot.handlers.quiz.ui import QuizOpen
from bot.services import learning


def kind_label(kind: str) -> str:
    labels = {
        "course": _("🎓 Course"),
        "webinar": _("💻 Webinars"),
        "methodology": _("📘 Methodological recommendations"),
        "textbook": _("📗 Textbook"),
        "module": _("🗺 Module"),
        "reading": _("📄 To read"),
    }
    return labels.get(kind, "📄")


def render_material(material: LearningMaterial, language: str) -> str:
    text = (
        f"{kind_label(material.kind)}\n<b>{html.quote(learning.title(material, language))}</b>\n"
        f"{html.quote(learning.description(material, language))}"
    )
    if material.url:
        text += f"\n🔗 {html.quote(material.url)}"
    return text


def learning_keyboard(
    found: list[LearningMaterial] | None = None, language: str = "kk"
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    # One button per material: opening one counts in the student's progress.
    material_buttons(builder, found or [], language)
    builder.button(text=_("📅 Events"), callback_data=MenuItem(item="events"))
    builder.button(text=_("🧑‍🏫 Contact a curator"), callback_data=MenuItem(item="consult"))
    builder.button(text=_("📝 Self-check quizzes"), callback_data=QuizOpen(quiz=0))
    builder.adjust(*([1] * len(found or [])), 2)
    return builder.as_markup()


async def show_learning(message: Message, session: AsyncSession, language: str) -> bool:
    """Send the curated materials; False when none are imported yet."""
    found = await learning.materials(session)
    if not found:
        return False
    header = _("<b>Learning materials</b> on intercultural communication and interethnic accord:")
    chunks = [header] + [render_material(m, language) for m in found]
    # Telegram's limit is 4,096 characters: split between materials, never inside one.
    message_text = ""
    for chunk in chunks:
        if message_text and len(message_text) + len(chunk) + 2 > 3800:
            await message.answer(message_text, disable_web_page_preview=True)
            message_text = ""
        message_text = f"{message_text}\n\n{chunk}" if message_text else chunk
    await message.answer(
        message_text, reply_markup=learning_keyboard(found, language), disable_web_page_preview=True
    )
    return True
