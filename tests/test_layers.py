"""The apps depend one way: orders below scheduling below quoting (docs/layers.md).

The modules are parsed, not imported, so the check has no import side effects and sees imports
inside functions too. Migrations are left out (they name other apps' migrations by design).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: an app may import the ones before it, never the ones after it.
LAYERS = ("orders", "scheduling", "quoting")
# "app.Model", the way a ForeignKey names a model of another app without importing it.
MODEL_REFERENCE = re.compile(r"^([a-z_]+)\.([A-Z]\w*)$")

# Model references from orders up to scheduling that stay until the models move between apps,
# which needs a migration of its own (docs/layers.md): an operation is placed on a work center,
# a routing step names the work centers that can do it, a promise records the version it was
# made against. A new upward reference fails the test below; so does fixing one of these
# without taking it off this list.
KNOWN_UPWARD_MODEL_REFERENCES = sorted(
    [
        ("orders/models.py", "scheduling.WorkCenter"),  # RoutingStep.work_centers
        ("orders/models.py", "scheduling.WorkCenter"),  # Operation.work_centers
        ("orders/models.py", "scheduling.WorkCenter"),  # Operation.work_center
        ("orders/models.py", "scheduling.ScheduleVersion"),  # Promise.schedule_version
    ]
)


def imported_apps(source: str, *, package: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in `source`, a module of `package` (used to
    resolve relative imports, which stay inside their own app)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            top = package if node.level else (node.module or "").split(".")[0]
            found.append((node.lineno, top))
    return found


def _higher_than(app: str) -> tuple[str, ...]:
    return LAYERS[LAYERS.index(app) + 1 :]


def upward_imports(source: str, *, app: str) -> list[str]:
    """'line: app' for every import of an app above `app` in `source`."""
    higher = _higher_than(app)
    return [
        f"{line}: {target}"
        for line, target in imported_apps(source, package=app)
        if target in higher
    ]


def upward_model_references(source: str, *, app: str) -> list[str]:
    """Every string "app.Model" in `source` naming a model of an app above `app`."""
    higher = _higher_than(app)
    return [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (match := MODEL_REFERENCE.match(node.value))
        and match.group(1) in higher
    ]


def modules_of(app: str) -> list[Path]:
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def test_lower_apps_never_import_higher_ones() -> None:
    violations = [
        f"{path.relative_to(ROOT)}:{hit}"
        for app in LAYERS[:-1]
        for path in modules_of(app)
        for hit in upward_imports(path.read_text(encoding="utf-8"), app=app)
    ]
    assert modules_of("orders") and modules_of("scheduling")  # the walk found the apps
    assert violations == []


def test_lower_apps_name_no_new_model_of_a_higher_one() -> None:
    references = sorted(
        (str(path.relative_to(ROOT)), reference)
        for app in LAYERS[:-1]
        for path in modules_of(app)
        for reference in upward_model_references(path.read_text(encoding="utf-8"), app=app)
    )
    assert references == KNOWN_UPWARD_MODEL_REFERENCES


def test_checker_catches_an_upward_import() -> None:
    module = (
        "from orders.models import Order\n"
        "import scheduling.boards\n"
        "def f():\n"
        "    from quoting import services\n"
        "from . import selectors\n"
    )
    assert upward_imports(module, app="orders") == ["2: scheduling", "4: quoting"]
    assert upward_imports(module, app="scheduling") == ["4: quoting"]
    assert upward_imports("from orders import selectors\n", app="scheduling") == []


def test_checker_catches_an_upward_model_reference() -> None:
    module = (
        "from django.db import models\n"
        "class Slot(models.Model):\n"
        '    quote = models.ForeignKey("quoting.Quote", on_delete=models.CASCADE)\n'
        '    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE)\n'
        '    label = models.CharField(default="quoting.solve_quote")\n'
    )
    assert upward_model_references(module, app="scheduling") == ["quoting.Quote"]
    assert upward_model_references(module, app="orders") == ["quoting.Quote"]
    assert upward_model_references(module, app="quoting") == []
