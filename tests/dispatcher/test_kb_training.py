"""NLU training data from admin work: the FAQ examples export, /kb_retrain in the background
with the switch only when the new model is not worse, and one run against a real Rasa."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
import yaml
from aiogram import Bot, Dispatcher

from bot.factory import App
from bot.services.knowledge import export_items
from bot.services.nlu_training import ModelTrainer, RasaSteps
from nlu import rasa_runner
from nlu.faq_examples import build_faq_examples, faq_examples_path
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_russian

ROOT = Path(__file__).resolve().parents[2]
ADMIN_ID = 9001


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


@pytest.fixture
def nlu_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of the training data and an empty models directory, so tests touch neither."""
    data = tmp_path / "data"
    data.mkdir()
    for path in (ROOT / "nlu" / "data").glob("*.yml"):
        shutil.copy(path, data / path.name)
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("NLU_DATA_DIR", str(data))
    monkeypatch.setenv("NLU_MODELS_DIR", str(models))
    return data, models


def generated_examples(data: Path) -> list[str]:
    document = yaml.safe_load(faq_examples_path(data).read_text(encoding="utf-8"))
    (block,) = document["nlu"]
    assert block["intent"] == "ask_faq"
    return [line.removeprefix("- ") for line in block["examples"].splitlines()]


def test_examples_skip_duplicates_and_texts_another_intent_owns() -> None:
    result = build_faq_examples(
        ["Наурыз қашан?", "nauryz qashan", "НАУРЫЗ ҚАШАН", "привет", "Есть ли [учебник]?"],
        ROOT / "nlu" / "data",
    )
    assert result.examples == ["Наурыз қашан?", "Есть ли (учебник)?"]
    assert result.conflicts == ["привет"]  # a greeting in the hand-written data


class FakeSteps(RasaSteps):
    """The real export into the temporary data directory; training and Rasa are simulated."""

    def __init__(self, models: Path, before: float, after: float, swap_error: bool = False):
        self.models = models
        self.current = models / "kelisim-nlu.tar.gz"
        self.current.write_bytes(b"old model")
        self.scores = {"kelisim-nlu.tar.gz": before, "candidate.tar.gz": after}
        self.swap_error = swap_error
        self.loaded: list[Path] = []

    def current_model(self) -> Path | None:
        return self.current

    def train(self) -> Path:
        candidate = self.models / "candidate.tar.gz"
        candidate.write_bytes(b"new model")
        return candidate

    def evaluate(self, model: Path) -> tuple[float, int]:
        return self.scores[model.name], 240

    def promote(self, candidate: Path) -> Path:
        os.replace(candidate, self.current)
        return self.current

    async def swap(self, rasa_url: str, token: str | None, model: Path) -> None:
        if self.swap_error:
            raise RuntimeError("connection refused")
        self.loaded.append(model)


async def retrain_and_wait(admin: ChatDriver, app: App) -> str:
    await admin.send("/kb_retrain")
    assert looks_russian(admin.last_text())
    assert app.trainer.task is not None
    await app.trainer.task
    return admin.last_text()


async def test_retrain_switches_to_a_model_that_is_not_worse(
    admin: ChatDriver, app: App, nlu_dirs: tuple[Path, Path]
) -> None:
    data, models = nlu_dirs
    steps = FakeSteps(models, before=0.91, after=0.925)
    app.trainer.steps = steps
    text = await retrain_and_wait(admin, app)
    assert "✅" in text and "91" in text and "92,5" in text and "240" in text
    assert steps.loaded == [steps.current] and steps.current.read_bytes() == b"new model"
    examples = generated_examples(data)
    # "nauryz qashan" is the same question as "Наурыз қашан" once normalised: kept once
    assert "Наурыз қашан" in examples and "nauryz qashan" not in examples
    assert "Когда празднуют Наурыз?" in examples
    assert "Скрытый вопрос про мандарины" not in examples  # unpublished entries stay out


async def test_retrain_keeps_the_current_model_when_the_new_one_is_worse(
    admin: ChatDriver, app: App, nlu_dirs: tuple[Path, Path]
) -> None:
    _data, models = nlu_dirs
    steps = FakeSteps(models, before=0.93, after=0.9)
    app.trainer.steps = steps
    text = await retrain_and_wait(admin, app)
    assert "↩️" in text and "93" in text and "90" in text
    assert steps.loaded == [] and steps.current.read_bytes() == b"old model"
    assert not (models / "candidate.tar.gz").exists()


async def test_retrain_tells_when_rasa_could_not_load_the_model(
    admin: ChatDriver, app: App, nlu_dirs: tuple[Path, Path]
) -> None:
    _data, models = nlu_dirs
    app.trainer.steps = FakeSteps(models, before=0.9, after=0.9, swap_error=True)
    text = await retrain_and_wait(admin, app)
    assert "⚠️" in text and "connection refused" in text


class SlowSteps(FakeSteps):
    """Training that goes on until the test lets it finish."""

    def __init__(self, models: Path) -> None:
        super().__init__(models, before=0.9, after=0.9)
        self.finish = threading.Event()

    def train(self) -> Path:
        self.finish.wait(timeout=60)
        return super().train()


async def test_one_retraining_at_a_time(
    admin: ChatDriver, app: App, nlu_dirs: tuple[Path, Path]
) -> None:
    _data, models = nlu_dirs
    steps = SlowSteps(models)
    app.trainer.steps = steps
    await admin.send("/kb_retrain")
    await admin.send("/kb_retrain")  # while the first is still training
    assert "уже" in admin.last_text()
    steps.finish.set()
    assert app.trainer.task is not None
    await app.trainer.task


def test_cli_exports_the_stores_questions(tmp_path: Path) -> None:
    out = tmp_path / "faq.yml"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kb.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "nlu", "export-faq-examples", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    examples = document["nlu"][0]["examples"]
    assert document["nlu"][0]["intent"] == "ask_faq" and examples.count("\n- ") > 50


def serve_copy(models: Path, model: Path) -> tuple[str, str]:
    """Copy the project's model into the test's models directory; both absolute paths."""
    served = models / f"{rasa_runner.MODEL_NAME}.tar.gz"
    shutil.copy(model, served)
    return str(served.resolve()), str(model.resolve())


class KeepCandidate(RasaSteps):
    """The real steps, except that a worse candidate is kept, so the test can load it anyway."""

    def __init__(self) -> None:
        self.candidates: list[Path] = []

    def train(self) -> Path:
        candidate = super().train()
        self.candidates.append(candidate)
        return candidate

    def discard(self, candidate: Path) -> None:
        pass


@pytest.mark.rasa
async def test_retraining_against_a_real_rasa(
    rasa_server: str, rasa_model: Path, app: App, nlu_dirs: tuple[Path, Path]
) -> None:
    _served, original = serve_copy(nlu_dirs[1], rasa_model)
    async with app.session_factory() as session:
        items = await export_items(session)
    steps = KeepCandidate()
    async with httpx.AsyncClient(timeout=180) as client:

        async def model_id() -> str:
            return str((await client.get(f"{rasa_server}/status")).json()["model_id"])

        before = await model_id()
        try:
            report = await ModelTrainer(steps).retrain(items, rasa_server, None)
            figures = f"{report}"
            assert report.error is None and report.swap_error is None, figures
            assert report.test_examples > 100 and report.faq_examples > 10, figures
            assert report.accuracy_before is not None and report.accuracy_after is not None
            # Switched exactly when the new model is not worse.
            assert report.swapped == (report.accuracy_after >= report.accuracy_before), figures
            assert (await model_id() != before) == report.swapped, figures
            if not report.swapped:
                # The hot swap itself still works with the candidate this run trained.
                await steps.swap(rasa_server, None, steps.candidates[-1].resolve())
                assert await model_id() != before
        finally:
            # Leave the shared server serving the project's model for the other tests.
            await client.put(f"{rasa_server}/model", json={"model_file": original})
        assert await model_id() == before
