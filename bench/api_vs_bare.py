"""`GET /api/v1/referrals?limit=50` under load, against a bare endpoint returning the same rows.

    .venv/bin/python -m bench.generate --db ccr_api17 --scale 0.1     # 20,000 referrals, once
    .venv/bin/python -m bench.api_vs_bare --db ccr_api17 [--workers 1,2]
        [--connections 8,32,128,512] [--duration 10] [--rounds 3]
        [--targets api,bare,floor,stack,green] [--ports 8117,8118,8119,8120,8121]

Needs `wrk` (Debian/Ubuntu: `apt-get install wrk`). For each number of uvicorn workers, starts the
API (`app.main:create_app`, as `ccr serve` runs it, scheduler off), the bare Starlette + psycopg
endpoint (`bench/bare_app.py`) and, if asked for, the floor (`bench/floor_app.py`: the list read's
own work written by hand with the API's statements) and the stack (`bench/stack_app.py`: bare's work
on DESIGN §8's FastAPI + sync SQLAlchemy stack; `green`: the same on the event loop through
SQLAlchemy's greenlets), all at once; warms each up, then runs wrk at each number of connections
against each target in turn, for each round; prints req/s, p50/p99 latency, errors (non-2xx answers
and socket errors, timeouts included) and the ratios, each the median over rounds of one round's
figures: API / bare, API / floor, floor / bare, stack / bare, green / bare, and throughput at N
connections / at 32.
The caller is a `centre_staff` user of two of the four centres (created if missing), so every
endpoint scopes by centre. Results go to bench/results/api_vs_bare-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from app.config import Settings
from app.security import tokens
from bench.generate import BENCH_KEY, db_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_EMAIL = "bench-api@example.invalid"
JWT_SECRET = "bench-only-jwt-secret-" + "x" * 40
PORTS = {"api": 8117, "bare": 8118, "floor": 8119, "stack": 8120, "green": 8121}
# After a run, the requests wrk abandoned drain (a queued read whose client left is dropped).
SETTLE_SECONDS = 2
PATHS = {
    "api": "/api/v1/referrals?limit=50",
    "bare": "/referrals?limit=50",
    "floor": "/referrals",
    "stack": "/referrals?limit=50",
    "green": "/referrals/green?limit=50",
}
APPS = {
    "bare": "bench.bare_app:app",
    "stack": "bench.stack_app:app",
    "green": "bench.stack_app:app",
}


@dataclass
class Run:
    target: str
    workers: int
    connections: int
    round: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def ensure_caller(url: str) -> list[uuid.UUID]:
    """The bench's user (centre_staff of two centres); returns its centres."""
    with psycopg.connect(url, autocommit=True) as conn:
        centres = [r[0] for r in conn.execute("SELECT id FROM centre ORDER BY id LIMIT 2")]
        row = conn.execute(
            "SELECT id FROM user_account WHERE email = %s", (BENCH_EMAIL,)
        ).fetchone()
        if row is None:
            user_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO user_account (id, version, created_at, updated_at, email, full_name,"
                " password_hash, role, is_active) VALUES (%s, 1, now(), now(), %s, 'Bench',"
                " '!', 'centre_staff', true)",
                (user_id, BENCH_EMAIL),
            )
            for centre in centres:
                conn.execute("INSERT INTO user_centre VALUES (%s, %s)", (user_id, centre))
        return centres


def caller_token(url: str) -> str:
    settings = Settings(env="prod", database_url=url, jwt_secret=JWT_SECRET)
    with psycopg.connect(url) as conn:
        (user_id,) = conn.execute(
            "SELECT id FROM user_account WHERE email = %s", (BENCH_EMAIL,)
        ).fetchone() or (None,)
    assert user_id is not None
    token, _ = tokens.issue(settings, user_id, "access")
    return token


def start(
    target: str, workers: int, url: str, centres: list[uuid.UUID], token: str
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    port = PORTS[target]
    api_env = {
        "CCR_ENV": "prod",
        "CCR_DATABASE_URL": url,
        "CCR_JWT_SECRET": JWT_SECRET,
        "CCR_ENCRYPTION_KEYS": BENCH_KEY.decode(),
        "CCR_AUDIT_HMAC_KEYS": "bench:" + "y" * 48,
        "CCR_SCHEDULER_ENABLED": "false",
    }
    if target == "api":
        app_ref = ["app.main:create_app", "--factory"]
        env.update(api_env)
    elif target == "floor":
        app_ref = ["bench.floor_app:app"]
        env.update(api_env, CCR_FLOOR_TOKEN=token)
    else:
        app_ref = [APPS[target]]
        env.update(CCR_BARE_DATABASE_URL=url, CCR_BARE_CENTRE_IDS=",".join(str(c) for c in centres))
    command = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        *app_ref,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    log = open(RESULTS / f"{target}-server.log", "ab")  # noqa: SIM115 - lives with the server
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    ready = urllib.request.Request(  # noqa: S310 - local URL
        f"http://127.0.0.1:{port}" + ("/healthz" if target == "api" else PATHS[target]),
        headers={"Authorization": f"Bearer {token}"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready, timeout=2):  # noqa: S310 - local URL
                return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise SystemExit(f"{target} did not start; see {RESULTS / f'{target}-server.log'}")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, token: str, connections: int, duration: int) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    found = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(found.group(1)) if found else 0,
        "requests_per_s": float(rate.group(1)) if rate else 0.0,
        "p50_ms": _ms(p50.group(1)) if p50 else 0.0,
        "p99_ms": _ms(p99.group(1)) if p99 else 0.0,
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket.groups()) if socket else 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ccr_api17")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--connections", default="8,32,128,512")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--targets", default="api,bare", help="of api, bare, floor, stack, green")
    parser.add_argument("--rounds", type=int, default=1, help="ratios are the rounds' medians")
    parser.add_argument(
        "--ports",
        default=",".join(map(str, PORTS.values())),
        help="API,bare[,floor[,stack[,green]]]",
    )
    args = parser.parse_args()
    # Other ports, so that two checkouts can run the bench at once.
    PORTS.update(zip(PORTS, (int(p) for p in args.ports.split(",")), strict=False))
    if shutil.which("wrk") is None:
        raise SystemExit("bench.api_vs_bare needs wrk: apt-get install wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    url = db_url(args.db)
    centres = ensure_caller(url)
    token = caller_token(url)
    runs: list[Run] = []
    targets = args.targets.split(",")
    for workers in [int(w) for w in args.workers.split(",")]:
        # Every target is served at once and measured in turn, round after round, so that each
        # ratio compares figures taken a minute apart at most: this machine's speed drifts.
        servers = [start(target, workers, url, centres, token) for target in targets]
        try:
            for target in targets:
                wrk(f"http://127.0.0.1:{PORTS[target]}{PATHS[target]}", token, 8, 3)  # warm up
            for round_ in range(args.rounds):
                for connections in [int(c) for c in args.connections.split(",")]:
                    for target in targets:
                        endpoint = f"http://127.0.0.1:{PORTS[target]}{PATHS[target]}"
                        result = wrk(endpoint, token, connections, args.duration)
                        run = Run(target, workers, connections, round_, **result)
                        runs.append(run)
                        print(
                            f"{target:5} workers={workers} c={connections:3} round {round_}: "
                            f"{run.requests_per_s:8.1f} req/s  p50 {run.p50_ms:7.1f} ms  "
                            f"p99 {run.p99_ms:7.1f} ms  errors {run.errors}",
                            flush=True,
                        )
                        time.sleep(SETTLE_SECONDS)
        finally:
            for server in servers:
                stop(server)
    _summary(runs)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"api_vs_bare-{stamp}.json"
    out.write_text(json.dumps({"argv": sys.argv, "runs": [asdict(r) for r in runs]}, indent=2))
    print(f"wrote {out}")


def _summary(runs: list[Run]) -> None:
    """One row per workers and connections: the rounds' median req/s of each target, and the
    median of each round's ratios (each taken from figures of the same round)."""
    by_key = {(r.target, r.workers, r.connections, r.round): r for r in runs}
    rows = sorted({(r.workers, r.connections) for r in runs if r.target == "api"})
    rounds = sorted({r.round for r in runs})

    def rate(target: str, workers: int, connections: int, round_: int) -> float | None:
        run = by_key.get((target, workers, connections, round_))
        return run.requests_per_s if run else None

    def median_rate(target: str, workers: int, connections: int) -> str:
        rates = [rate(target, workers, connections, r) for r in rounds]
        known = [x for x in rates if x is not None]
        return f"{statistics.median(known):.0f}" if known else "-"

    def same_round(top: tuple[str, int, int], bottom: tuple[str, int, int]) -> str:
        """The median over rounds of `top`'s req/s over `bottom`'s (target, workers, c)."""
        pairs = [(rate(*top, r), rate(*bottom, r)) for r in rounds]
        ratios = [a / b for a, b in pairs if a is not None and b]
        return f"{statistics.median(ratios):.2f}" if ratios else "-"

    print(
        f"\n{len(rounds)} round(s); req/s and ratios are medians of the rounds\n"
        "\n| workers | connections | API req/s | bare req/s | floor req/s | API/bare | API/floor "
        "| floor/bare | stack req/s | stack/bare | green req/s | green/bare "
        "| API p50/p99 ms | API errors | API at c / at 32 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for workers, connections in rows:
        api = [by_key[("api", workers, connections, r)] for r in rounds]
        here = {t: (t, workers, connections) for t in PORTS}
        p50 = statistics.median(run.p50_ms for run in api)
        p99 = statistics.median(run.p99_ms for run in api)
        print(
            f"| {workers} | {connections} | {median_rate('api', workers, connections)} | "
            f"{median_rate('bare', workers, connections)} | "
            f"{median_rate('floor', workers, connections)} | "
            f"{same_round(here['api'], here['bare'])} | {same_round(here['api'], here['floor'])} | "
            f"{same_round(here['floor'], here['bare'])} | "
            f"{median_rate('stack', workers, connections)} | "
            f"{same_round(here['stack'], here['bare'])} | "
            f"{median_rate('green', workers, connections)} | "
            f"{same_round(here['green'], here['bare'])} | {p50:.0f} / {p99:.0f} | "
            f"{sum(run.errors for run in api)} | {same_round(here['api'], ('api', workers, 32))} |"
        )


if __name__ == "__main__":
    main()
