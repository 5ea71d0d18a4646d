"""Every keyset-pagination order has an index behind it, found by reading the code.

Each `paginate(session, stmt, page, [Model.a, Model.b])` call in `app/` (and each
`PageTemplates.paginate(…, [Model.a, Model.b])`) is parsed; its keys are
resolved to columns (a module-level model directly, a model passed in as an argument through
the calls of the enclosing function), and the table must have an index (or primary key) whose
leading columns are those keys in that order. Without one, every page sorts the whole table.
The models' indexes are the migrations' (tests/test_migrations.py proves they agree).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Table

import app.models  # noqa: F401 - every table on the metadata

APP = Path(__file__).resolve().parents[2] / "app"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(APP.parent).with_suffix("").parts)


def _enclosing_functions(tree: ast.Module) -> dict[ast.AST, ast.FunctionDef]:
    parents: dict[ast.AST, ast.FunctionDef] = {}
    # ast.walk visits an outer function before the ones nested in it: the innermost wins.
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef):
            for node in ast.walk(func):
                if node is not func:
                    parents[node] = func
    return parents


def _models_of(name: str, func: ast.FunctionDef, tree: ast.Module, module: Any) -> list[Any]:
    """The models a function parameter is bound to by the module's calls of that function."""
    params = [a.arg for a in func.args.args]
    assert name in params, f"{module.__name__}.{func.name}: cannot resolve {name!r}"
    index = params.index(name)
    models = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == func.name
        ):
            arg = node.args[index]
            assert isinstance(arg, ast.Name), ast.unparse(arg)
            models.append(getattr(module, arg.id))
    assert models, f"{module.__name__}.{func.name} is never called with a model"
    return models


def paginated_orders() -> list[tuple[str, Table, tuple[str, ...]]]:
    orders = []
    for path in sorted(APP.rglob("*.py")):
        source = path.read_text()
        if "paginate(" not in source:
            continue
        tree = ast.parse(source)
        parents = _enclosing_functions(tree)
        module = importlib.import_module(_module_name(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "paginate":
                keys = node.args[3]
            elif isinstance(node.func, ast.Attribute) and node.func.attr == "paginate":
                keys = node.args[-1]  # PageTemplates.paginate: the keys come last
            else:
                continue
            assert isinstance(keys, ast.List), f"{path}: keys must be a literal list"
            names = set()
            for key in keys.elts:
                assert isinstance(key, ast.Attribute) and isinstance(key.value, ast.Name)
                names.add(key.value.id)
            assert len(names) == 1, f"{path}:{node.lineno}: keys of one model"
            (name,) = names
            if hasattr(module, name):
                models = [getattr(module, name)]
            else:
                models = _models_of(name, parents[node], tree, module)
            for model in models:
                columns = tuple(
                    getattr(model, key.attr).property.columns[0].name  # type: ignore[attr-defined]
                    for key in keys.elts
                )
                orders.append((f"{path.name}:{node.lineno}", model.__table__, columns))
    return orders


ORDERS = paginated_orders()


def _leading(columns: list[Column[Any]], width: int) -> tuple[str, ...]:
    return tuple(c.name for c in columns[:width])


def test_the_code_has_paginated_lists() -> None:
    # The parser found the calls (a refactor that hides them would make the test vacuous).
    assert len(ORDERS) >= 20
    assert ("referral", ("created_at", "id")) in {(t.name, c) for _, t, c in ORDERS}


@pytest.mark.parametrize(
    ("table", "columns"),
    sorted({(t, c) for _, t, c in ORDERS}, key=lambda o: (o[0].name, o[1])),
    ids=lambda value: value.name if isinstance(value, Table) else ",".join(value),
)
def test_every_paginate_order_has_an_index(table: Table, columns: tuple[str, ...]) -> None:
    width = len(columns)
    candidates = [list(index.columns) for index in table.indexes]
    candidates.append(list(table.primary_key.columns))
    candidates += [list(c.columns) for c in table.constraints if hasattr(c, "columns")]
    assert any(_leading(cols, width) == columns for cols in candidates), (
        f"{table.name} is paginated by ({', '.join(columns)}) without an index starting so"
    )
