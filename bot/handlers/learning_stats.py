"""The learning-and-belonging part of /stats: quiz pass rates per material, materials opened,
attendance marks and interest-group joins, in the admin's language."""

from __future__ import annotations

from datetime import timedelta

from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import utcnow
from bot.services.learning_report import LearningReport, build_learning_report


def render_learning_stats(report: LearningReport, days: int) -> str:
    lines = [_("<b>Learning and belonging</b>, last {days} days").format(days=days), ""]
    lines.append(_("📝 Self-check quizzes (finished / passed, pass rate, attempts):"))
    if not report.quizzes:
        lines.append(_("none taken"))
    for q in report.quizzes:
        lines.append(
            f"• {html.quote(q.material)}: {q.students} / {q.passed}, {q.pass_rate}%, "
            + _("attempts: {count}").format(count=q.attempts)
        )
    lines += [
        "",
        _("📚 Materials opened: {count}").format(count=report.materials_opened),
        _("✔️ Attendance marks: {count}").format(count=report.attendance_marks),
        "",
        _("👥 Interest groups (members now, joined in the period):"),
    ]
    if not report.groups:
        lines.append(_("none published"))
    for g in report.groups:
        lines.append(f"• {html.quote(g.title)}: {g.members}, +{g.joined}")
    b = report.buddy
    if b:
        lines += [
            "",
            _(
                "🤝 Buddy programme: volunteers {volunteers}, waiting {waiting}; pairs proposed "
                "{proposed}, active {active}, ended {ended}; check-ins sent {sent}, «goes well» "
                "{good}, «not so well» {bad}."
            ).format(
                volunteers=b["volunteers"],
                waiting=b["waiting"],
                proposed=b["proposed"],
                active=b["active"],
                ended=b["ended"],
                sent=b["checkins_sent"],
                good=b["checkins_good"],
                bad=b["checkins_bad"],
            ),
        ]
    return "\n".join(lines)


async def learning_stats_text(session: AsyncSession, days: int) -> str:
    """The section /stats appends to the consultation report."""
    report = await build_learning_report(session, since=utcnow() - timedelta(days=days))
    return render_learning_stats(report, days)
