"""The README's two commands are what the Makefile and CI really run."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _make_dry_run(target: str) -> list[str]:
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", target],
        cwd=ROOT,
        # Run as a top-level make even when the suite itself runs under `make test`.
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def test_readme_opens_with_make_run_and_make_test() -> None:
    head = "\n".join(ROOT.joinpath("README.md").read_text().splitlines()[:15])
    assert re.search(r"^make run\b", head, re.M)
    assert re.search(r"^make test\b", head, re.M)
    assert "http://127.0.0.1:8000" in head


def test_make_run_installs_then_serves_the_api() -> None:
    commands = _make_dry_run("run")
    assert any("uv sync --frozen" in c for c in commands)
    assert commands[-1].endswith("/ccr serve")


def test_make_test_installs_then_runs_pytest() -> None:
    commands = _make_dry_run("test")
    assert any("uv sync --frozen" in c for c in commands)
    assert commands[-1].split()[0].endswith("/pytest")


def test_ci_runs_make_test() -> None:
    script = ROOT.joinpath(".ci/run").read_text().splitlines()
    assert script[-1].strip() == "make test"


def test_ccr_serve_honours_ccr_host_and_port(monkeypatch) -> None:
    import uvicorn

    from app import cli
    from app.config import get_settings

    seen: dict[str, object] = {}
    monkeypatch.setenv("CCR_HOST", "0.0.0.0")
    monkeypatch.setenv("CCR_PORT", "9123")
    monkeypatch.setenv("CCR_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("CCR_ENCRYPTION_KEYS", "DzYtDQUo2z0c-hclfHO9n9EnOzb7Oc7xXH1CWBHcnoA=")
    monkeypatch.setenv("CCR_DATABASE_URL", "sqlite://")
    monkeypatch.setattr(cli, "migrate_and_bootstrap", lambda settings: None)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    get_settings.cache_clear()
    try:
        cli.main(["serve"])
    finally:
        get_settings.cache_clear()
    assert (seen["host"], seen["port"]) == ("0.0.0.0", 9123)
