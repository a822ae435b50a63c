"""Texts used by more than one journey. Each function translates at call time."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _


def N_(message: str) -> str:
    """Mark a string for the catalogs without translating it (translated later by locale)."""
    return message


def help_numbers() -> str:
    return _(
        "<b>If you are in danger, call now (free):</b>\n"
        "102 — police\n"
        "112 — single emergency number\n"
        "150 — helpline for children and young people\n"
        "111 — contact centre on family, women's and children's rights"
    )


def capabilities() -> str:
    return _(
        "I am Kelisim, a bot on interethnic accord for students. I can:\n"
        "• answer questions: holidays, languages, your rights, the People's Council of "
        'Kazakhstan and ethnocultural associations, the "Unity of cultures" club, adapting '
        "to a new city;\n"
        "• help if you face discrimination, insults or threats;\n"
        "• put you in touch with a curator;\n"
        "• tell you about events and learning materials.\n"
        "Just write your question in Kazakh or Russian."
    )


def how_to_reach_curator() -> str:
    return _(
        "Every academic group has a curator: a university staff member trained to help with "
        "conflicts, discrimination, adaptation and questions of culture and language. Talk to "
        "your group's curator in person or write to them; the dean's office will tell you who "
        "your curator is."
    )


def language_name(code: str) -> str:
    """How "I will speak {language}" names a language."""
    return _("Kazakh") if code == "kk" else _("Russian")
