"""`kelisim pulse import FILE / list / send ID / results ID [--csv FILE] [--chart FILE]`:
anonymous pulse surveys from the command line. bot/cli.py only registers them."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli_store import with_store


def cmd_import(args: argparse.Namespace) -> int:
    from bot.services import pulse

    try:
        text = Path(args.path).read_text(encoding="utf-8")
    except OSError as error:
        print(f"{args.path}: cannot read: {error.strerror or error}", file=sys.stderr)
        return 1
    try:
        draft = pulse.parse_survey(text)
    except pulse.PulseError as error:
        for problem in error.problems:
            print(f"{args.path}: {problem}", file=sys.stderr)
        print(f"nothing imported: {len(error.problems)} problem(s)", file=sys.stderr)
        return 1

    async def _import(app: Any) -> int:
        async with app.session_factory() as session, session.begin():
            return await pulse.create_survey(session, draft, None)

    survey_id = asyncio.run(with_store(_import, seed=False))
    print(f"imported survey {survey_id} ({len(draft.questions)} questions) as a draft")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from bot.services import pulse

    async def _list(app: Any) -> list[pulse.SurveyInfo]:
        async with app.session_factory() as session:
            return await pulse.list_surveys(session)

    surveys = asyncio.run(with_store(_list, seed=False))
    if args.json:
        for info in surveys:
            print(
                json.dumps(
                    {
                        "id": info.id,
                        "title": info.title,
                        "status": info.status,
                        "questions": info.questions,
                        "received": info.asked,
                        "finished": info.finished,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    for info in surveys:
        print(
            f"{info.id}\t{info.status}\t{info.questions} questions\treceived {info.asked}\t"
            f"finished {info.finished}\t{info.title['ru']}"
        )
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from bot.services import pulse

    async def _send(app: Any) -> int | None:
        staff = {*app.settings.admin_ids, *app.settings.curator_ids}
        async with app.session_factory() as session, session.begin():
            return await pulse.queue_send(session, args.id, staff)

    count = asyncio.run(with_store(_send, seed=False))
    if count is None:
        print(f"survey {args.id}: no such draft (already sent?)", file=sys.stderr)
        return 1
    print(
        f"survey {args.id} queued for {count} students; the running bot sends it within "
        "PULSE_POLL_EVERY seconds"
    )
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from bot.services import pulse_results
    from bot.services.pulse_chart import results_png

    async def _results(app: Any) -> pulse_results.Results | None:
        async with app.session_factory() as session:
            return await pulse_results.results(session, args.id)

    report = asyncio.run(with_store(_results, seed=False))
    if report is None:
        print(f"survey {args.id}: not found", file=sys.stderr)
        return 1
    language = args.lang
    print(
        f"survey {report.survey.id}: {report.survey.title[language]} — received by "
        f"{report.survey.asked}, finished {report.survey.finished}; groups under {report.k} "
        "respondents are not shown"
    )
    for item in report.questions:
        head = f"{item.question.position + 1}. {item.question.text[language]}"
        if item.respondents < report.k:
            print(f"{head}: fewer than {report.k} answers, not shown")
            continue
        values = ", ".join(
            f"{item.option_label(v, language)}: {item.counts.get(v, 0)}"
            for v in item.question.values()
        )
        print(f"{head} ({item.respondents} answers): {values}")
        for group, counts in item.groups.items():
            print(
                f"    {group}: " + ", ".join(str(counts.get(v, 0)) for v in item.question.values())
            )
        if item.hidden_groups:
            print(f"    {item.hidden_groups} smaller group(s) not shown")
    if args.csv:
        Path(args.csv).write_text(pulse_results.results_csv(report, language), encoding="utf-8")
        print(f"CSV written to {args.csv}")
    if args.chart:
        if not report.shown:
            print("no chart: no question has enough answers yet", file=sys.stderr)
        else:
            png, _series = results_png(
                report, language, report.survey.title[language], "% of answers"
            )
            Path(args.chart).write_bytes(png)
            print(f"chart written to {args.chart}")
    return 0


def register(commands: Any) -> None:
    """Add `kelisim pulse` and its subcommands."""
    group = commands.add_parser(
        "pulse", help="anonymous pulse surveys (import YAML, list, send, results)"
    ).add_subparsers(dest="pulse_command", required=True, metavar="COMMAND")
    p = group.add_parser("import", help="load a survey YAML as a draft (nothing if invalid)")
    p.add_argument("path", metavar="FILE")
    p.set_defaults(func=cmd_import)
    p = group.add_parser("list", help="surveys with their status and counts")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_list)
    p = group.add_parser(
        "send", help="queue a draft for consenting students; the running bot sends it"
    )
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_send)
    p = group.add_parser(
        "results", help="answers per question and group (only groups of 5 or more)"
    )
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--csv", metavar="FILE", help="write the shown figures as CSV")
    p.add_argument("--chart", metavar="FILE", help="write the chart as PNG")
    p.add_argument("--lang", choices=("kk", "ru"), default="ru")
    p.set_defaults(func=cmd_results)
