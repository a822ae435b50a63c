"""Retraining the NLU model from admin work, in the background, without a restart.

The knowledge base's questions and paraphrases become ``ask_faq`` examples; a candidate model
is trained next to the served one and both are scored on ``nlu/tests`` (never trained on). The
candidate replaces the served model, and Rasa loads it through ``PUT /model``, only if its
accuracy is not worse. Rasa runs in its own virtualenv, so the heavy steps are subprocesses run
in a thread; the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from knowledge_base.schema import LANGUAGES, FaqItem
from nlu import rasa_runner
from nlu.faq_examples import write_faq_examples

log = logging.getLogger(__name__)

CANDIDATE_NAME = f"{rasa_runner.MODEL_NAME}-candidate"


def faq_texts(items: Iterable[FaqItem]) -> list[str]:
    """Every published question and paraphrase, in both languages."""
    texts: list[str] = []
    for item in items:
        if not item.published:
            continue
        for lang in LANGUAGES:
            texts.append(item.question[lang])
            texts.extend(item.alternatives.get(lang, ()))
    return texts


@dataclass(frozen=True)
class TrainingReport:
    """What a retraining did, with the figures the admin is shown."""

    faq_examples: int
    test_examples: int = 0
    accuracy_before: float | None = None
    accuracy_after: float | None = None
    swapped: bool = False
    error: str | None = None  # the step that failed, if any
    swap_error: str | None = None  # better model kept on disk, but Rasa was not switched

    @property
    def better_or_equal(self) -> bool:
        if self.accuracy_after is None:
            return False
        return self.accuracy_before is None or self.accuracy_after >= self.accuracy_before


class RasaSteps:
    """The real steps: files under nlu/, Rasa subprocesses, Rasa's HTTP API."""

    def export(self, texts: list[str]) -> int:
        data_dir = rasa_runner.data_dir()
        return len(write_faq_examples(texts, data_dir).examples)

    def current_model(self) -> Path | None:
        return rasa_runner.latest_model()

    def train(self) -> Path:
        return rasa_runner.train(force=True, name=CANDIDATE_NAME)

    def evaluate(self, model: Path) -> tuple[float, int]:
        """Accuracy on nlu/tests and the number of test examples."""
        with tempfile.TemporaryDirectory() as directory:
            summary = rasa_runner.evaluate(Path(directory) / "report.md", model=model)
        return float(summary["accuracy"]), int(summary["examples"])

    def promote(self, candidate: Path) -> Path:
        target = rasa_runner.models_dir() / f"{rasa_runner.MODEL_NAME}.tar.gz"
        os.replace(candidate, target)
        return target.resolve()  # Rasa wants an absolute path

    def discard(self, candidate: Path) -> None:
        candidate.unlink(missing_ok=True)

    async def swap(self, rasa_url: str, token: str | None, model: Path) -> None:
        """Ask the running Rasa server to load `model`, an absolute path it can read too."""
        params = {"token": token} if token else None
        async with httpx.AsyncClient(timeout=120.0) as client:
            response = await client.put(
                rasa_url.rstrip("/") + "/model",
                params=params,
                json={"model_file": str(model)},
            )
        if response.status_code not in (200, 204):
            raise RuntimeError(f"Rasa answered {response.status_code}: {response.text[:200]}")


OnDone = Callable[[TrainingReport], Awaitable[None]]


class ModelTrainer:
    """One retraining at a time per bot process; `task` is the one in progress."""

    def __init__(self, steps: RasaSteps | None = None) -> None:
        self.steps = steps or RasaSteps()
        self.task: asyncio.Task[TrainingReport] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(
        self, items: list[FaqItem], rasa_url: str, token: str | None, on_done: OnDone
    ) -> bool:
        """Start retraining in the background; False if one is already running."""
        if self.running:
            return False

        async def work() -> TrainingReport:
            report = await self.retrain(items, rasa_url, token)
            try:
                await on_done(report)
            except Exception:
                log.exception("could not report the retraining result")
            return report

        self.task = asyncio.create_task(work(), name="nlu-retrain")
        return True

    async def retrain(
        self, items: list[FaqItem], rasa_url: str, token: str | None
    ) -> TrainingReport:
        """Export, train, compare and switch if not worse; never raises."""
        steps = self.steps
        try:
            exported = await asyncio.to_thread(steps.export, faq_texts(items))
        except Exception as error:
            log.exception("exporting FAQ examples failed")
            return TrainingReport(0, error=f"export: {error}")
        current = steps.current_model()
        try:
            candidate = await asyncio.to_thread(steps.train)
        except Exception as error:
            log.exception("retraining failed")
            return TrainingReport(exported, error=f"train: {error}")
        try:
            after, examples = await asyncio.to_thread(steps.evaluate, candidate)
            before = (
                (await asyncio.to_thread(steps.evaluate, current))[0]
                if current is not None
                else None
            )
        except Exception as error:
            log.exception("evaluating the models failed")
            steps.discard(candidate)
            return TrainingReport(exported, error=f"evaluate: {error}")
        report = TrainingReport(exported, examples, before, after)
        if not report.better_or_equal:
            steps.discard(candidate)
            log.info("retrained model is worse (%.3f < %s); keeping the old one", after, before)
            return report
        served = steps.promote(candidate)
        try:
            await steps.swap(rasa_url, token, served)
        except Exception as error:
            log.warning("the new model is saved but Rasa did not load it: %s", error)
            return TrainingReport(exported, examples, before, after, swap_error=str(error))
        log.info("switched to the retrained model (%.3f, was %s)", after, before)
        return TrainingReport(exported, examples, before, after, swapped=True)
