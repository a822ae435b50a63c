"""Training, serving and evaluating the Rasa model from the bot's side.

Rasa 3.6 lives in its own virtualenv (Python 3.10, see README.md), so everything here runs
Rasa as a subprocess. Standard library only: this module is imported by the bot's CLI and by
the tests, and must not pull Rasa (or anything heavy) into their interpreter.

Environment: ``NLU_VENV`` (default ``<project>/.venv-nlu``), ``NLU_MODELS_DIR`` (default
``nlu/models``), ``NLU_DATA_DIR`` (default ``nlu/data``) and ``NLU_TESTS_DIR`` (default
``nlu/tests``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "MODEL_NAME",
    "PROJECT_ROOT",
    "RasaNotInstalledError",
    "config_path",
    "data_dir",
    "evaluate",
    "fallback_threshold",
    "latest_model",
    "models_dir",
    "rasa_environment",
    "rasa_executable",
    "serve",
    "serve_command",
    "tests_dir",
    "train",
    "venv_dir",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = PROJECT_ROOT / "nlu"
MODEL_NAME = "kelisim-nlu"
DEFAULT_REPORT = PROJECT_ROOT / "docs" / "nlu-evaluation.md"
FALLBACK_INTENT = "nlu_fallback"


class RasaNotInstalledError(RuntimeError):
    """The Rasa virtualenv (or its ``rasa`` executable) is missing."""


def venv_dir() -> Path:
    """The Rasa virtualenv: ``$NLU_VENV`` or ``.venv-nlu`` in the project root."""
    return Path(os.environ.get("NLU_VENV") or PROJECT_ROOT / ".venv-nlu")


def _venv_program(name: str) -> Path:
    program = venv_dir() / "bin" / name
    if not program.is_file():
        raise RasaNotInstalledError(
            f"{program} not found: the Rasa virtualenv is missing or incomplete. "
            "Create it with scripts/setup.sh (Python 3.10 + rasa==3.6.21), or point NLU_VENV "
            "at an existing one; see README."
        )
    return program


def rasa_executable() -> Path:
    """The ``rasa`` command of the Rasa virtualenv; raises RasaNotInstalledError if absent."""
    return _venv_program("rasa")


def models_dir() -> Path:
    """Where trained models go: ``$NLU_MODELS_DIR`` or ``nlu/models``."""
    return Path(os.environ.get("NLU_MODELS_DIR") or NLU_DIR / "models")


def data_dir() -> Path:
    """The training data: ``$NLU_DATA_DIR`` or ``nlu/data``."""
    return Path(os.environ.get("NLU_DATA_DIR") or NLU_DIR / "data")


def tests_dir() -> Path:
    """The evaluation sets, one file per script variant: ``$NLU_TESTS_DIR`` or ``nlu/tests``."""
    return Path(os.environ.get("NLU_TESTS_DIR") or NLU_DIR / "tests")


def config_path() -> Path:
    """The Rasa pipeline configuration."""
    return NLU_DIR / "config.yml"


def rasa_environment() -> dict[str, str]:
    """The environment Rasa runs in: the project on PYTHONPATH (custom tokenizer), no telemetry."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from (p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            yield path


def _inputs() -> list[Path]:
    """Everything a model depends on: a change to any of these makes it stale."""
    return list(
        _files([data_dir(), config_path(), NLU_DIR / "components", NLU_DIR / "normalize.py"])
    )


def _model_path(name: str = MODEL_NAME) -> Path:
    return models_dir() / f"{name}.tar.gz"


def latest_model() -> Path | None:
    """The model to serve: ``kelisim-nlu.tar.gz`` if trained, else the newest one, else None."""
    fixed = _model_path()
    if fixed.is_file():
        return fixed
    candidates = sorted(models_dir().glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def _is_fresh(model: Path) -> bool:
    built = model.stat().st_mtime
    return all(path.stat().st_mtime < built for path in _inputs())


def train(force: bool = False, name: str = MODEL_NAME) -> Path:
    """Trains the NLU model unless an up-to-date one exists; returns the model's path.

    ``name`` other than the default trains a candidate next to the served model (the bot's
    background retraining compares the two before switching).
    """
    model = _model_path(name)
    if not force and model.is_file() and _is_fresh(model):
        return model
    if not data_dir().is_dir():
        raise FileNotFoundError(f"no training data: {data_dir()} does not exist")
    command = [
        str(rasa_executable()),
        "train",
        "nlu",
        "--config",
        str(config_path()),
        "--nlu",
        str(data_dir()),
        "--out",
        str(models_dir()),
        "--fixed-model-name",
        name,
    ]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_environment(), check=False)
    if completed.returncode != 0 or not model.is_file():
        raise RuntimeError(f"rasa train failed (exit code {completed.returncode})")
    # Rasa may reuse a cached model file with an old timestamp; freshness is judged by mtime.
    model.touch()
    return model


def serve_command(
    model: Path, host: str = "127.0.0.1", port: int = 5005, token: str | None = None
) -> list[str]:
    """The command line that serves ``model`` over Rasa's HTTP API."""
    command = [
        str(rasa_executable()),
        "run",
        "--enable-api",
        "-m",
        str(model),
        "-i",
        host,
        "-p",
        str(port),
    ]
    if token:
        command += ["--auth-token", token]
    return command


def serve(host: str = "127.0.0.1", port: int = 5005, token: str | None = None) -> int:
    """Runs the Rasa server in the foreground (training first if there is no model)."""
    model = latest_model() or train()
    process = subprocess.Popen(
        serve_command(model, host, port, token), cwd=PROJECT_ROOT, env=rasa_environment()
    )

    def forward(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    # A supervisor (systemd, docker) stops us with SIGTERM: pass it on so Rasa shuts down too.
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, forward)
    return process.wait()


def fallback_threshold() -> float | None:
    """The FallbackClassifier threshold written in ``nlu/config.yml``, if any."""
    text = config_path().read_text(encoding="utf-8")
    match = re.search(
        r"-\s*name:\s*FallbackClassifier\s*\n(?:\s+\w+:.*\n)*?\s+threshold:\s*([0-9.]+)", text
    )
    return float(match.group(1)) if match else None


def _predict(model: Path, files: Sequence[Path]) -> list[dict[str, Any]]:
    python = _venv_program("python")
    script = NLU_DIR / "scripts" / "predict.py"
    completed = subprocess.run(
        [str(python), str(script), str(model), *map(str, files)],
        cwd=PROJECT_ROOT,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        # Rasa's deprecation chatter is only worth showing when something went wrong.
        tail = "\n".join(completed.stderr.splitlines()[-20:])
        raise RuntimeError(f"{script.name} failed (exit code {completed.returncode}):\n{tail}")
    rows = []
    for line in completed.stdout.splitlines():
        # Rasa or TensorFlow may print to stdout too; only our JSON rows count.
        if line.startswith("{"):
            row = json.loads(line)
            if isinstance(row, dict) and "expected" in row:
                rows.append(row)
    return rows


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _scores(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    true_positive: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    support: Counter[str] = Counter()
    for row in rows:
        support[row["expected"]] += 1
        predicted[row["intent"]] += 1
        if row["intent"] == row["expected"]:
            true_positive[row["expected"]] += 1
    scores = {}
    for intent in sorted(support):
        precision = _ratio(true_positive[intent], predicted[intent])
        recall = _ratio(true_positive[intent], support[intent])
        scores[intent] = {
            "precision": precision,
            "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall),
            "support": support[intent],
        }
    return scores


def _entity_accuracy(rows: list[dict[str, Any]]) -> dict[str, Any]:
    expected = [row for row in rows if row["expected_entities"]]

    def values(entities: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(str(e["entity"]), str(e["value"])) for e in entities}

    correct = sum(values(row["expected_entities"]) <= values(row["entities"]) for row in expected)
    return {
        "examples": len(expected),
        "correct": correct,
        "accuracy": _ratio(correct, len(expected)),
    }


def _summarise(rows: list[dict[str, Any]], threshold: float | None) -> dict[str, Any]:
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_file[row["file"]].append(row)
    errors = [row for row in rows if row["intent"] != row["expected"]]
    confusions: Counter[tuple[str, str]] = Counter((r["expected"], r["intent"]) for r in errors)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in errors:
        examples[(row["expected"], row["intent"])].append(row["text"])
    below = [row for row in rows if row["intent"] == FALLBACK_INTENT]
    return {
        "examples": len(rows),
        "accuracy": _ratio(len(rows) - len(errors), len(rows)),
        "top_guess_accuracy": _ratio(sum(r["top"] == r["expected"] for r in rows), len(rows)),
        "fallback_threshold": threshold,
        "below_threshold": len(below),
        "confident_errors": sum(
            r["intent"] != FALLBACK_INTENT and r["confidence"] >= 0.9 for r in errors
        ),
        "by_file": {
            name: {
                "examples": len(items),
                "accuracy": _ratio(sum(r["intent"] == r["expected"] for r in items), len(items)),
                "below_threshold": sum(r["intent"] == FALLBACK_INTENT for r in items),
            }
            for name, items in sorted(by_file.items())
        },
        "intents": _scores(rows),
        "entities": _entity_accuracy(rows),
        "confusions": [
            {
                "expected": exp,
                "predicted": pred,
                "count": count,
                "examples": examples[exp, pred][:3],
            }
            for (exp, pred), count in confusions.most_common(10)
        ],
        "errors": sorted(errors, key=lambda r: -r["confidence"]),
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(summary: dict[str, Any], model: Path) -> str:
    built = dt.datetime.fromtimestamp(model.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    threshold = summary["fallback_threshold"]
    lines = [
        "# NLU evaluation",
        "",
        f"- Date: {dt.date.today().isoformat()}",
        f"- Model: `{model.name}` (trained {built})",
        f"- Test examples: {summary['examples']} (files in `nlu/tests/`)",
        f"- Accuracy: **{summary['accuracy']:.1%}**; the model's top guess, ignoring the "
        f"fallback: {summary['top_guess_accuracy']:.1%}",
        f"- Below the fallback threshold ({threshold if threshold is not None else 'none'}): "
        f"{summary['below_threshold']} examples became `{FALLBACK_INTENT}`",
        f"- Wrong answers given with confidence ≥ 0.9: {summary['confident_errors']}",
        f"- `language` entity found with the right value: {summary['entities']['correct']} of "
        f"{summary['entities']['examples']}",
        "",
        "## Accuracy by script",
        "",
        "| test set | examples | accuracy | below threshold |",
        "|---|---:|---:|---:|",
    ]
    for name, item in summary["by_file"].items():
        lines.append(
            f"| {name} | {item['examples']} | {item['accuracy']:.1%} | {item['below_threshold']} |"
        )
    lines += [
        "",
        "## By intent",
        "",
        "| intent | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    for intent, score in summary["intents"].items():
        lines.append(
            f"| {intent} | {score['precision']:.3f} | {score['recall']:.3f} | "
            f"{score['f1']:.3f} | {score['support']} |"
        )
    lines += ["", "## Most frequent confusions", ""]
    if summary["confusions"]:
        lines += ["| expected | predicted | count | examples |", "|---|---|---:|---|"]
        for item in summary["confusions"]:
            sample = "; ".join(f"«{_cell(t)}»" for t in item["examples"])
            lines.append(
                f"| {item['expected']} | {item['predicted']} | {item['count']} | {sample} |"
            )
    else:
        lines.append("None: every test example was classified correctly.")
    errors = summary["errors"][:30]
    if errors:
        lines += [
            "",
            "## Errors, most confident first",
            "",
            "| test set | text | expected | predicted | confidence |",
            "|---|---|---|---|---:|",
        ]
        for row in errors:
            lines.append(
                f"| {row['file']} | {_cell(row['text'])} | {row['expected']} | "
                f"{row['intent']} | {row['confidence']:.3f} |"
            )
    lines += [
        "",
        "Regenerate with `kelisim nlu eval` after changing `nlu/data/` or `nlu/config.yml`.",
        "",
    ]
    return "\n".join(lines)


def evaluate(report_path: Path = DEFAULT_REPORT, model: Path | None = None) -> dict[str, Any]:
    """Scores a model on every file of ``nlu/tests/`` and writes a Markdown report.

    Without ``model``, the current model is used, retrained first if the data changed.
    """
    files = sorted(p for p in tests_dir().glob("*.y*ml") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no test sets in {tests_dir()}")
    if model is None:
        model = train()
    rows = _predict(model, files)
    summary = _summarise(rows, fallback_threshold())
    report_path = Path(report_path)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(_markdown(summary, model), encoding="utf-8")
    summary["model"] = str(model)
    summary["report"] = str(report_path)
    return summary
