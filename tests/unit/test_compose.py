"""docker-compose.yml is valid and wires the bot to Rasa, with the store on a volume."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = shutil.which("docker-compose")


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None
    return subprocess.run(
        [COMPOSE, "-f", str(ROOT / "docker-compose.yml"), "config"],
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=ROOT / "tests",  # no operator .env is read
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(COMPOSE is None, reason="docker-compose (Debian package) is not installed")
def test_compose_config_valid_and_wired() -> None:
    result = compose_config({"BOT_TOKEN": "123:abc"})
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert services["rasa"]["image"] == "rasa/rasa:3.6.21"
    assert services["rasa-train"]["image"] == "rasa/rasa:3.6.21"
    assert "train" in str(services["rasa-train"]["command"])
    assert (
        services["rasa"]["depends_on"]["rasa-train"]["condition"]
        == "service_completed_successfully"
    )
    bot = services["bot"]
    assert bot["environment"]["RASA_URL"] == "http://rasa:5005"
    assert bot["environment"]["DATABASE_URL"].startswith("sqlite+aiosqlite:////data/")
    assert any(str(v).endswith(":/data") or "/data" in str(v) for v in bot["volumes"])
    assert "bot-data" in config["volumes"]


@pytest.mark.skipif(COMPOSE is None, reason="docker-compose (Debian package) is not installed")
def test_compose_refuses_to_start_without_a_token() -> None:
    result = compose_config({})
    assert result.returncode != 0
    assert "BOT_TOKEN" in result.stderr


@pytest.mark.skipif(COMPOSE is None, reason="docker-compose (Debian package) is not installed")
def test_the_scale_profile_runs_replicas_behind_nginx_with_one_worker() -> None:
    assert COMPOSE is not None
    result = subprocess.run(
        [COMPOSE, "-f", str(ROOT / "docker-compose.yml"), "--profile", "scale", "config"],
        env={"PATH": os.environ.get("PATH", ""), "BOT_TOKEN": "123:abc"},
        cwd=ROOT / "tests",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    replicas = [services["bot-1"], services["bot-2"]]
    for replica in replicas:
        env = replica["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["REDIS_URL"].startswith("redis://") and env["SCHEDULER"] == "off"
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "healthz" in str(replica["healthcheck"]["test"])
    worker = services["worker"]
    assert "worker" in str(worker["command"]) and worker["environment"]["SCHEDULER"] == "on"
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx")
    assert {"bot-1", "bot-2", "rasa", "rasa-2"} <= set(proxy["depends_on"])
    assert (
        services["postgres"]["image"] == "postgres:15" and services["redis"]["image"] == "redis:7"
    )
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "server bot-1:8080" in nginx and "server bot-2:8080" in nginx
