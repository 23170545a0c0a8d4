"""``python -m scheduling.engine``: answers on stdout or -o, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .solver_boards import doc, op, request

ROOT = Path(__file__).resolve().parents[3]

# Public benchmark data vendored into the repository (bench/data/, see its README).
ORLIB = str(Path(__file__).resolve().parents[3] / "bench" / "data" / "orlib-jobshop1.txt")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduling.engine", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(tmp_path: Path, document: dict, name: str = "board.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def test_quote_writes_a_promise_and_exits_zero(tmp_path):
    board = write(tmp_path, doc(request=request([op("10", "MILL", 60)])))
    out = tmp_path / "answer.json"
    result = run("quote", board, "--time-limit", "2", "--workers", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    answer = json.loads(out.read_text())
    assert answer["status"] == "promised"
    assert answer["completion"] == "2026-12-07T07:00:00Z"


def test_quote_keeps_the_requested_date_unless_asked_for_the_earliest(tmp_path):
    # MILL is planned Monday 06:00-10:00 for A (days of slack); Thursday is asked for.
    document = doc(
        orders=[
            {
                "id": "A",
                "due": "2026-12-11T22:00:00Z",
                "operations": [op("10", "MILL", 240)],
            }
        ],
        schedule=[
            {
                "order": "A",
                "operation": "10",
                "work_center": "MILL",
                "start": "2026-12-07T06:00:00Z",
                "end": "2026-12-07T10:00:00Z",
            }
        ],
        request=request([op("10", "MILL", 60)], requested_due="2026-12-10T12:00:00Z"),
    )
    board = write(tmp_path, document)
    kept = json.loads(run("quote", board, "--time-limit", "2", "--workers", "1").stdout)
    assert kept["promise"] == "2026-12-10T12:00:00Z" and kept["moved"] == []
    assert kept["earliest_completion"] == "2026-12-07T07:00:00Z"
    fast = run("quote", board, "--earliest", "--time-limit", "2", "--workers", "1")
    earliest = json.loads(fast.stdout)
    assert earliest["promise"] == "2026-12-07T07:00:00Z" and len(earliest["moved"]) == 1
    assert "earliest_completion" not in earliest


def test_check_infeasible_still_writes_the_answer_and_exits_one(tmp_path):
    board = write(
        tmp_path,
        doc(
            orders=[
                {"id": "A", "due": "2026-12-07T08:00:00Z", "operations": [op("10", "MILL", 600)]}
            ]
        ),
    )
    result = run("check", board, "--time-limit", "2")
    assert result.returncode == 1
    answer = json.loads(result.stdout)
    assert answer["status"] == "infeasible" and answer["at_fault"] == ["A"]


def test_bad_input_exits_two_naming_the_field(tmp_path):
    document = doc(request=request([op("10", "MILL", 60)]))
    document["orders"] = [
        {"id": "A", "due": "2026-12-07T08:00:00Z", "operations": [op("10", "MILL", -5)]}
    ]
    result = run("quote", write(tmp_path, document))
    assert result.returncode == 2
    assert result.stderr.startswith("error: orders[0].operations[0].minutes:")


def test_quote_of_a_board_without_request_is_bad_input(tmp_path):
    result = run("quote", write(tmp_path, doc()))
    assert result.returncode == 2
    assert "error: request:" in result.stderr


def test_unknown_option_is_bad_input(tmp_path):
    board = write(tmp_path, doc(request=request([op("10", "MILL", 60)])))
    result = run("quote", board, "--option", "NOPE")
    assert result.returncode == 2 and "NOPE" in result.stderr


def test_jssp_prints_one_json_line_and_rejects_unknown_instances():
    orlib = ORLIB
    result = run("jssp", orlib, "ft06", "--time-limit", "5")
    assert result.returncode == 0
    line = json.loads(result.stdout)
    assert line["instance"] == "ft06" and line["makespan"] == 55
    assert set(line) == {"instance", "makespan", "lower_bound", "status", "seconds"}
    missing = run("jssp", orlib, "nope99")
    assert missing.returncode == 2 and "nope99" in missing.stderr


def test_quote_against_the_repair_of_a_broken_board(tmp_path):
    from .test_projection import _board as broken_oven_board

    document = broken_oven_board()
    document["request"] = {
        "id": "R",
        "operations": [{"id": "10", "work_centers": ["OVEN"], "minutes": 240}],
    }
    board = write(tmp_path, document)
    refused = run("quote", board, "--time-limit", "2", "--workers", "1")
    assert json.loads(refused.stdout)["status"] == "infeasible"
    result = run("quote", board, "--against-repair", "--time-limit", "2", "--workers", "1")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "promised" and answer["at_risk"] == ["A"]
    assert answer["completion"] == "2026-12-09T14:00:00Z"
