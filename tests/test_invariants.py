"""Invariant 2, structurally: no code path writes a promise or a schedule version except the
verified gate `scheduling.services.commit.schedule_commit`.

The behavioural side (the gate refuses what the verifier rejects, and writes nothing) is in
tests/scheduling/test_commit.py; this test fails as soon as anyone adds a second writer, say a
view that creates a Promise, an admin action that flips `is_current`, or a service that sets an
order's `promised_due` after the fact.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("orders", "scheduling", "quoting", "config")
GATE = ROOT / "scheduling" / "services" / "commit.py"
GUARDED_MODELS = {"Promise", "ScheduleVersion", "ScheduledOperation"}
WRITE_METHODS = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "delete"}
# Fields of other models that carry a promise or the "current" pointer.
GUARDED_FIELDS = {"promised_due", "is_current"}
# Order rows are created with a provisional due date inside the same transaction as the
# schedule_commit call that verifies and promises them (import, CSV, demo seed): allowed only
# in these modules, each of which is tested to end in schedule_commit or roll back.
PROVISIONAL_ORDER_WRITERS = {
    "scheduling/services/board_import.py",
    "scheduling/services/csv_import/writing.py",
    "scheduling/services/demo.py",
}


def _base_name(node: ast.AST) -> str | None:
    """`Promise` for `Promise.objects.filter(...).update`, following the call chain down."""
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr == "objects" and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return None


def _writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        model = _base_name(node.func.value)
        keywords = {k.arg for k in node.keywords if k.arg}
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        if method in WRITE_METHODS and model in GUARDED_MODELS:
            found.append(f"{where} {model}.objects...{method}()")
        elif method in WRITE_METHODS and keywords & GUARDED_FIELDS:
            if model == "Order" and str(path.relative_to(ROOT)) in PROVISIONAL_ORDER_WRITERS:
                continue
            found.append(f"{where} {model}...{method}({', '.join(sorted(keywords))})")
        elif isinstance(node.func, ast.Attribute) and method == "save":
            # A model instance of a guarded kind saved directly (promise.save(), version.save()).
            target = node.func.value
            if isinstance(target, ast.Name) and target.id.lower() in {
                "promise",
                "version",
                "schedule_version",
            }:
                found.append(f"{where} {target.id}.save()")
    return found


def _sources() -> list[Path]:
    files = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path == GATE:
                continue
            files.append(path)
    return files


def test_only_the_verified_gate_writes_promises_and_schedule_versions() -> None:
    offenders = [hit for path in _sources() for hit in _writes(path)]
    assert offenders == [], "writes that bypass schedule_commit:\n" + "\n".join(offenders)


def test_the_gate_itself_is_seen_by_the_scan() -> None:
    # Guards the scan: if it stopped recognising writes, the test above would pass vacuously.
    hits = _writes(GATE)
    assert any("ScheduleVersion.objects...create()" in h for h in hits)
    assert any("Promise.objects...create()" in h for h in hits)
    assert any("ScheduledOperation.objects...bulk_create()" in h for h in hits)
    assert any("ScheduleVersion.objects...update()" in h for h in hits)
    assert any("Order...update(" in h and "promised_due" in h for h in hits)


def test_the_gate_verifies_before_it_writes() -> None:
    source = GATE.read_text()
    verify_at = source.index("engine.verify(")
    first_write = min(
        source.index(marker)
        for marker in ("ScheduleVersion.objects.create(", "Promise.objects.create(")
    )
    assert verify_at < first_write
