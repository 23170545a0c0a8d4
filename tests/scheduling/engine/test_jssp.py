"""Job-shop benchmarks solved through the production model code."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduling.engine.jssp import UnknownInstance, load_instance, parse_instances, solve_instance

# Public benchmark data vendored into the repository (bench/data/, see its README).
ORLIB = str(Path(__file__).resolve().parents[3] / "bench" / "data" / "orlib-jobshop1.txt")


def test_parse_reads_every_instance_block():
    instances = parse_instances(open(ORLIB).read())
    assert len(instances) >= 80
    ft06 = instances["ft06"]
    assert (len(ft06.jobs), ft06.machines) == (6, 6)
    assert ft06.jobs[0][:2] == ((2, 1), (0, 3))


def test_ft06_solves_to_its_known_optimum():
    result = solve_instance(load_instance(ORLIB, "ft06"), time_limit=5, workers=2)
    assert result["makespan"] == 55
    assert result["lower_bound"] == 55 and result["status"] == "optimal"


def test_la01_solves_to_its_known_optimum():
    result = solve_instance(load_instance(ORLIB, "la01"), time_limit=10, workers=2)
    assert result["makespan"] == 666
    assert result["status"] == "optimal"


def test_unknown_instance_is_reported():
    with pytest.raises(UnknownInstance):
        load_instance(ORLIB, "nope99")
