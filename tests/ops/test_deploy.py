"""deploy/ holds what README "Deploying" says, and agrees with the app (no Docker engine here to
run it): the compose file parses and builds the Dockerfile, every CCR_ variable it sets is a
setting, the proxy's upstreams are the app services on their port and the app trusts the proxy's
address, and the connection budget fits PostgreSQL's max_connections."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APPS = ("app1", "app2")
# Connections a worker holds beyond its pool: the scheduler's leader, a running sweep.
RUNNER_CONNECTIONS = 2


def _compose() -> dict[str, Any]:
    document = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def _services() -> dict[str, Any]:
    services = _compose()["services"]
    assert set(services) == {"db", *APPS, "proxy"}
    return services


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in service["environment"].items()}


def _nginx() -> str:
    return (DEPLOY / "nginx" / "ccr.conf").read_text()


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def _postgres_setting(command: list[str], name: str) -> int:
    return int(next(v.split("=", 1)[1] for v in command if v.startswith(f"{name}=")))


def test_both_app_services_build_the_dockerfile_and_serve() -> None:
    services = _services()
    for name in APPS:
        build = services[name]["build"]
        dockerfile = (DEPLOY / build["context"] / build["dockerfile"]).resolve()
        assert dockerfile == ROOT / "Dockerfile"
        assert services[name]["command"][:2] == ["ccr", "serve"]
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    assert _env(services["app1"]) == _env(services["app2"])


def test_every_ccr_variable_is_a_setting() -> None:
    names = set()
    for name in APPS:
        names |= set(_env(_services()[name]))
    names |= {
        line.split("=", 1)[0]
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    ccr = {n for n in names if n.startswith("CCR_")}
    assert ccr, "no CCR_ variables found"
    unknown = {n for n in ccr if n.removeprefix("CCR_").lower() not in Settings.model_fields}
    assert unknown == set()
    # prod refuses to start without these (app/config.py).
    required = {"CCR_ENV", "CCR_DATABASE_URL", "CCR_JWT_SECRET", "CCR_ENCRYPTION_KEYS"}
    assert required | {"CCR_AUDIT_HMAC_KEYS", "CCR_TRUSTED_PROXIES"} <= ccr


def test_the_settings_the_compose_file_sets_are_valid() -> None:
    env = _env(_services()["app1"])
    values = {
        k.removeprefix("CCR_").lower(): v
        for k, v in env.items()
        if k.startswith("CCR_") and "${" not in v
    }
    settings = Settings(**values, jwt_secret="x" * 40)  # type: ignore[arg-type]
    assert settings.env == "prod"
    assert settings.checkpoint_path.parent == settings.erasure_journal_path.parent == Path("/data")
    volumes = {v.split(":")[1] for v in _services()["app1"]["volumes"]}
    assert str(settings.data_dir) in volumes  # shared by both services


def test_the_proxy_sends_to_both_app_services_on_their_port() -> None:
    config = _nginx()
    upstream = re.search(r"upstream\s+(\w+)\s*\{(.*?)\}", config, re.S)
    assert upstream is not None
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", upstream.group(2), re.M)
    # The image's CCR_PORT, unless the compose file sets another.
    dockerfile_port = re.search(r"CCR_PORT=(\d+)", (ROOT / "Dockerfile").read_text())
    assert dockerfile_port is not None
    port = int(_env(_services()["app1"]).get("CCR_PORT", dockerfile_port.group(1)))
    assert sorted(servers) == sorted((name, str(port)) for name in APPS)
    for name in APPS:
        assert str(port) in _services()[name]["expose"]
    assert f"proxy_pass http://{upstream.group(1)};" in config
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in config
    proxy = _services()["proxy"]
    mounted = {v.split(":")[0]: v.split(":")[1] for v in proxy["volumes"]}
    assert mounted["./nginx/ccr.conf"] == "/etc/nginx/conf.d/default.conf"
    assert (DEPLOY / "postgres" / "10-ccr-roles.sh").is_file()


def test_the_app_trusts_exactly_the_proxy() -> None:
    services = _services()
    proxy_address = ipaddress.ip_address(services["proxy"]["networks"]["backend"]["ipv4_address"])
    subnet = ipaddress.ip_network(_compose()["networks"]["backend"]["ipam"]["config"][0]["subnet"])
    assert proxy_address in subnet
    trusted = [
        ipaddress.ip_network(item.strip(), strict=False)
        for item in _env(services["app1"])["CCR_TRUSTED_PROXIES"].split(",")
    ]
    # The proxy, and nothing else on the network: an app service cannot pose as a proxy.
    assert [proxy_address in network for network in trusted] == [True]
    assert all(network.num_addresses == 1 for network in trusted)


def test_limits_agree_between_the_proxy_and_the_app() -> None:
    config = _nginx()
    env = _env(_services()["app1"])
    body = re.search(r"client_max_body_size\s+(\d+)m;", config)
    assert body is not None and int(body.group(1)) * 1024 * 1024 == Settings().max_body_bytes
    read_timeout = re.search(r"proxy_read_timeout\s+(\d+)s;", config)
    assert read_timeout is not None
    assert int(read_timeout.group(1)) > float(env["CCR_REQUEST_QUEUE_SECONDS"])
    assert re.search(r"location = /metrics \{\s*return 404;", config)
    # A slow upload is buffered by the proxy, never streamed into one of the app's slots.
    assert re.search(r"proxy_request_buffering\s+on;", config)
    assert not re.search(r"proxy_request_buffering\s+off;", config)


def test_the_connection_budget_fits_max_connections() -> None:
    services = _services()
    db_command = services["db"]["command"]
    available = _postgres_setting(db_command, "max_connections") - _postgres_setting(
        db_command, "superuser_reserved_connections"
    )
    needed = 0
    for name in APPS:
        env = _env(services[name])
        workers = int(_option(services[name]["command"], "--workers"))
        per_worker = (
            int(env["CCR_DB_POOL_SIZE"]) + int(env["CCR_DB_MAX_OVERFLOW"]) + RUNNER_CONNECTIONS
        )
        needed += workers * per_worker
    assert needed <= available, (needed, available)
