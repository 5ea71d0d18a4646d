"""The access matrix: every route of the app, what each role gets, and the cross-centre case.

Each domain's tests keep their rows in `tests/<domain>/matrix.py` as `ROWS`; the matrix test
collects them all and fails when a route of the app has no row.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.factories import World

ROLES = ("naccc_staff", "centre_staff", "inspector", "anonymous")


@dataclass
class Call:
    path_params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    data: dict[str, Any] | None = None
    files: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    method: str
    path: str
    # Expected status per role; "anonymous" defaults to 401.
    expect: dict[str, int]
    call: Callable[[World], Call] = lambda w: Call()
    # A call naming another centre's object: centre staff and inspectors of A must get 404.
    other_centre: Callable[[World], Call] | None = None

    def expected(self, role: str) -> int:
        return self.expect.get(role, 401)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def staff_only(ok: int) -> dict[str, int]:
    """naccc_staff may; centre staff and inspectors may not."""
    return {"naccc_staff": ok, "centre_staff": 403, "inspector": 403}


def centre_read(ok: int = 200) -> dict[str, int]:
    return {"naccc_staff": ok, "centre_staff": ok, "inspector": ok}


def centre_write(ok: int) -> dict[str, int]:
    return {"naccc_staff": ok, "centre_staff": ok, "inspector": 403}


def all_rows() -> list[Row]:
    rows: list[Row] = []
    for module_file in sorted(Path(__file__).parent.glob("*/matrix.py")):
        module = importlib.import_module(f"tests.{module_file.parent.name}.matrix")
        rows.extend(module.ROWS)
    return rows
