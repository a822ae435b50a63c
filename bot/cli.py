"""The `kelisim` command line (its commands are listed in README.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from bot.cli_store import texts, with_store
from bot.config import Settings


def _settings() -> Settings:
    return Settings()


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per Rasa request would drown the log; failures still come through as warnings.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.root.level))


# --- run, console, db -------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run

    settings = _settings()
    _setup_logging(settings.log_level)
    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from bot.runner import run_worker

    settings = _settings()
    _setup_logging(settings.log_level)
    try:
        asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from bot.console import run_console

    settings = _settings()
    _setup_logging(args.log_level or "WARNING")
    return asyncio.run(run_console(settings, role=args.role, user_id=args.user_id))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, args.revision)
    print(f"database is at revision {args.revision}: {_safe_url(settings.database_url)}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- kb -----------------------------------------------------------------------------------------


def cmd_kb_validate(args: argparse.Namespace) -> int:
    from knowledge_base.loader import load_paths

    result = load_paths(args.paths)
    for problem in result.problems:
        print(str(problem), file=sys.stderr)
    if result.problems:
        print(f"invalid: {len(result.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(result.items)} entries")
    return 0


def cmd_kb_import(args: argparse.Namespace) -> int:
    from bot.services.knowledge import import_items
    from knowledge_base.loader import load_paths

    result = load_paths([args.path])
    if result.problems:
        for problem in result.problems:
            print(str(problem), file=sys.stderr)
        print(f"nothing imported: {len(result.problems)} problem(s)", file=sys.stderr)
        return 1

    async def _import(app: Any) -> Any:
        async with app.session_factory() as session, session.begin():
            return await import_items(session, result.items, replace=args.replace)

    summary = asyncio.run(with_store(_import, seed=False))
    print(
        f"imported: {summary.added} added, {summary.changed} changed, "
        f"{summary.unchanged} unchanged, {summary.removed} removed"
    )
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    from bot.services.knowledge import export_items
    from knowledge_base.loader import write_items

    async def _export(app: Any) -> Any:
        async with app.session_factory() as session:
            return await export_items(session)

    items = asyncio.run(with_store(_export))
    write_items(items, args.path)
    print(f"exported {len(items)} entries to {args.path}")
    return 0


def cmd_kb_search(args: argparse.Namespace) -> int:
    async def _search(app: Any) -> int:
        as_json = args.json or args.text == "-"
        for text in texts(args.text):
            result = app.kb.search(text, args.lang)
            best = result.best
            row = {
                "id": best.id if best else None,
                "score": round(best.score, 4) if best else 0.0,
                "confident": bool(result.confident and best is not None),
                "alternatives": [] if result.confident else result.alternatives,
            }
            if as_json:
                print(json.dumps(row, ensure_ascii=False), flush=True)
            elif best is None:
                print("no match")
            else:
                entry = app.kb.by_slug(best.id)
                question = entry.question(args.lang or "ru") if entry else ""
                mark = "confident" if row["confident"] else "not confident"
                print(f"{best.id}\t{row['score']}\t{mark}\t{question}")
        return 0

    return int(asyncio.run(with_store(_search)))


def cmd_kb_review(args: argparse.Namespace) -> int:
    """Entries to check again; exit 1 when any is past its review date (for cron)."""
    from bot.services import kb_review

    async def _review(app: Any) -> Any:
        async with app.session_factory() as session:
            return await kb_review.review_list(session, kb_review.today())

    entries = asyncio.run(with_store(_review))
    rows = [kb_review.review_row(entry) for entry in entries]
    overdue = sum(1 for row in rows if row["overdue"])
    if args.json:
        print(json.dumps({"overdue": overdue, "entries": rows}, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            due = row["due"] or "never reviewed"
            reasons = ", ".join(str(reason) for reason in row["reasons"])  # type: ignore[attr-defined]
            print(f"{row['id']}\t{due}\t{reasons}")
        print(f"{len(rows)} entries to check, {overdue} overdue")
    return 1 if overdue else 0


# --- nlu ----------------------------------------------------------------------------------------


def cmd_nlu_export_faq(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.services.knowledge import export_items
    from bot.services.nlu_training import faq_texts
    from nlu import rasa_runner
    from nlu.faq_examples import faq_examples_path, write_faq_examples

    async def _export(app: Any) -> Any:
        async with app.session_factory() as session:
            return await export_items(session)

    items = asyncio.run(with_store(_export))
    data_dir = rasa_runner.data_dir()
    path = Path(args.out) if args.out else faq_examples_path(data_dir)
    result = write_faq_examples(faq_texts(items), data_dir, path)
    print(f"wrote {len(result.examples)} ask_faq examples to {path}")
    if result.conflicts:
        print(
            f"left out {len(result.conflicts)} that the hand-written data gives another intent: "
            + "; ".join(result.conflicts[:10]),
            file=sys.stderr,
        )
    return 0


# --- report -------------------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import timedelta
    from pathlib import Path

    from bot.db.models import utcnow
    from bot.services.curator_assist import sends_per_entry
    from bot.services.learning_report import build_learning_report, render_learning_plain
    from bot.services.reports import build_report, render_plain

    want_charts = bool(args.charts or args.html)

    async def _report(app: Any) -> Any:
        since = utcnow() - timedelta(days=args.days) if args.days else None
        async with app.session_factory() as session:
            report = await build_report(session, since=since)
            sends = await sends_per_entry(session, since=since)
            learning = await build_learning_report(session, since=since)
            if not want_charts:
                return report, sends, learning, []
            from bot.charts.album import draw_report_charts

            with app.i18n.context(), app.i18n.use_locale(args.lang):
                return report, sends, learning, await draw_report_charts(session, since=since)

    report, sends, learning, charts = asyncio.run(with_store(_report, seed=False))
    summary = render_plain(report) + "\n" + render_learning_plain(learning)
    if sends:
        summary += "\nKnowledge-base answers curators sent: " + ", ".join(
            f"{slug} {count}" for slug, count in sends
        )
    if args.json:
        data = {**report.as_dict(), "learning": learning.as_dict()}
        data["curator_assist_sends"] = dict(sends)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(summary)
    if args.charts:
        folder = Path(args.charts)
        folder.mkdir(parents=True, exist_ok=True)
        for chart in charts:
            (folder / f"{chart.name}.png").write_bytes(chart.png)
            print(f"wrote {folder / f'{chart.name}.png'}", file=sys.stderr)
        if not charts:
            print("no charts: nothing recorded in this period", file=sys.stderr)
    if args.html:
        from bot.charts.html import render_html

        period = f"last {args.days} days" if args.days else "all time"
        page = render_html(f"Kelisim report, {period}", summary, charts, language=args.lang)
        Path(args.html).write_text(page, encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


# --- outbox ---------------------------------------------------------------------------------------


def cmd_outbox(args: argparse.Namespace) -> int:
    from bot.outbox import admin

    async def _outbox(app: Any) -> Any:
        async with app.session_factory() as session, session.begin():
            retried = 0
            if args.retry or args.retry_dead:
                retried = await admin.retry(session, args.retry or (), dead=args.retry_dead)
            counts = await admin.counts(session)
            shown = [admin.describe(row) for row in await admin.rows(session, limit=args.limit)]
        return retried, counts, shown

    retried, counts, shown = asyncio.run(with_store(_outbox, seed=False))
    if args.retry or args.retry_dead:
        print(f"put back to be sent: {retried}", file=sys.stderr)
    if args.json:
        print(json.dumps({"counts": counts, "rows": shown}, ensure_ascii=False, indent=2))
        return 0
    print("  ".join(f"{status} {count}" for status, count in counts.items()))
    for row in shown:
        line = f"#{row['id']} {row['status']} {row['method']} to {row['chat_id']}"
        line += f", {row['attempts']} attempt(s)"
        if row["next_attempt"]:
            line += f", next at {row['next_attempt']}"
        if row["last_error"]:
            line += f": {row['last_error']}"
        print(line)
    return 0


# --- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kelisim", description="Kelisim: Telegram bot for interethnic dialogue among students."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "run", help="run the bot (long polling, or webhook when WEBHOOK_URL is set)"
    )
    p.set_defaults(func=cmd_run)

    p = commands.add_parser(
        "worker",
        help="run scheduled work and the outbox for webhook replicas started with SCHEDULER=off",
    )
    p.set_defaults(func=cmd_worker)

    p = commands.add_parser("console", help="chat with the bot in the terminal, no Telegram needed")
    p.add_argument("--as", dest="role", choices=("student", "curator", "admin"), default="student")
    p.add_argument("--user-id", type=int, default=None, help="Telegram id to act as")
    p.add_argument("--log-level", default=None, help="log level (default WARNING)")
    p.set_defaults(func=cmd_console)

    db = commands.add_parser("db", help="database commands").add_subparsers(
        dest="db_command", required=True, metavar="COMMAND"
    )
    p = db.add_parser("upgrade", help="apply database migrations (DATABASE_URL)")
    p.add_argument("revision", nargs="?", default="heads")
    p.set_defaults(func=cmd_db_upgrade)

    kb = commands.add_parser("kb", help="knowledge base commands").add_subparsers(
        dest="kb_command", required=True, metavar="COMMAND"
    )
    p = kb.add_parser("validate", help="check FAQ YAML files; lists every problem")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_kb_validate)
    p = kb.add_parser(
        "import", help="load FAQ YAML into the store (nothing if any entry is invalid)"
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--replace", action="store_true", help="delete entries that are not in PATH")
    p.set_defaults(func=cmd_kb_import)
    p = kb.add_parser("export", help="write the store's FAQ as YAML")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_kb_export)
    from bot.lexicon_cli import register as register_lexicon

    register_lexicon(kb)
    p = kb.add_parser(
        "review", help="entries due for review (exit 1 when any is overdue: for cron)"
    )
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.set_defaults(func=cmd_kb_review)
    p = kb.add_parser("search", help="what the bot would answer for TEXT ('-': one text per line)")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--lang", choices=("kk", "ru"), default=None)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_kb_search)
    from bot.kb_tools_cli import register as register_kb_tools
    from bot.kb_tools_cli import register_ask

    register_kb_tools(kb)
    register_ask(commands)
    from bot.learn_cli import register as register_learn
    from bot.pulse_cli import register as register_pulse

    register_pulse(commands)

    register_learn(commands)

    p = commands.add_parser(
        "report",
        help="consultation report (volumes, reply and resolution times, surveys per curator) "
        "and learning: quiz pass rates, materials opened, attendance, group joins",
    )
    p.add_argument("--days", type=int, default=None, help="only the last N days (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--charts", metavar="DIR", default=None, help="also write the charts as PNG files into DIR"
    )
    p.add_argument(
        "--html",
        metavar="FILE",
        default=None,
        help="also write one self-contained HTML report (charts inline) to FILE",
    )
    p.add_argument(
        "--lang",
        choices=("en", "kk", "ru"),
        default="en",
        help="language of the charts' titles and labels (default en)",
    )
    p.set_defaults(func=cmd_report)

    p = commands.add_parser(
        "outbox",
        help="messages the bot still owes: counts, pending/failed/dead rows; retry them",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=int, default=50, help="rows to list (default 50)")
    p.add_argument(
        "--retry",
        type=int,
        action="append",
        metavar="ID",
        help="send failed or dead row ID again now (repeatable)",
    )
    p.add_argument("--retry-dead", action="store_true", help="send every dead row again")
    p.set_defaults(func=cmd_outbox)

    from nlu.cli import register as register_nlu

    nlu_commands = register_nlu(commands)
    p = nlu_commands.add_parser(
        "export-faq-examples",
        help="write the knowledge base's questions and paraphrases as ask_faq examples",
        description=(
            "Write every published question and paraphrase of the store's knowledge base as "
            "ask_faq training examples to nlu/data/generated/faq_examples.yml (ignored by git), "
            "which `kelisim nlu train` then uses. Texts the hand-written data gives another "
            "intent are left out."
        ),
    )
    p.add_argument("--out", default=None, metavar="PATH", help="write here instead")
    p.set_defaults(func=cmd_nlu_export_faq)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
