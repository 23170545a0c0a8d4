"""The simulation's default shop is the seeded demo shop, and simulate_shop runs on the database.

``bench/data/demo-shop.board.json`` is what ``seed_demo`` (seed 1) builds at a fixed now,
exported by ``board_export``; it is committed so that ``python -m bench.simulate`` needs no
Django. If the seeder changes, this test says so; refresh the file as bench/data/README.md says.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bench.simulate.__main__ import DEMO_BOARD
from scheduling.services.board_export import board_export
from scheduling.services.demo import demo_shop_seed

pytestmark = pytest.mark.django_db

DEMO_NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_committed_demo_board_is_what_the_seeder_exports() -> None:
    demo_shop_seed(now=DEMO_NOW, seed=1)
    exported = board_export(now=DEMO_NOW, buffer_minutes=1440)
    assert exported == json.loads(DEMO_BOARD.read_text())


def test_simulate_shop_runs_on_the_current_board(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no open orders"):
        call_command("simulate_shop", "--weeks", "1", "--output", str(tmp_path / "x.md"))
    demo_shop_seed(now=DEMO_NOW, seed=1)
    output = tmp_path / "outcome.md"
    call_command(
        "simulate_shop",
        "--weeks", "1", "--replications", "1", "--policies", "yes,insert",
        "--output", str(output),
    )  # fmt: skip
    text = output.read_text()
    assert "the current board (board_export)" in text
    assert "150 open orders on the board" in text
    assert "| yes | 1 |" in text and "| insert | 1 |" in text
    with pytest.raises(CommandError, match="--policies"):
        call_command("simulate_shop", "--policies", "maybe", "--output", str(output))
