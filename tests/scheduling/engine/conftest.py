"""Shared helpers for the engine tests: the example boards in ``fixtures/``.

The engine is plain Python, so nothing here touches Django; these tests also run with
``-p no:django``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
BOARD_FIXTURES = ("example", "dst-berlin", "small-shop")


def read_fixture(name: str) -> dict[str, Any]:
    """A fresh copy of ``fixtures/<name>.json`` (tests mutate it freely)."""
    with open(FIXTURES / f"{name}.json", encoding="utf-8") as handle:
        return copy.deepcopy(json.load(handle))


@pytest.fixture
def fixture_doc() -> Callable[[str], dict[str, Any]]:
    return read_fixture
