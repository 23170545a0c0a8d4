"""Capable-to-promise engine: plain Python, no Django.

Public API (everything else in the product calls only these):

- ``load_board(doc) -> Board``, ``dump_board(board) -> dict``: board/1 JSON <-> dataclasses
  (``boardio``). Bad input raises ``BoardError`` naming the field.
- ``load_answer(doc) -> Answer``, ``dump_answer(answer) -> dict``: answer/1 JSON.
- ``quote(board, ...) -> Answer``: earliest promise for ``board.request`` (``solver``);
  ``STRATEGIES``: how many completion-search strategies ``quote(strategy=...)`` knows.
- ``check(board, ...) -> Answer``: check/repair the board without a request (``solver``).
- ``verify(board, answer, options=()) -> list[str]``: independent check of rules 1-6; an
  empty list means the answer is valid (``verify``).
"""

from scheduling.engine.assembly import EngineError
from scheduling.engine.boardio import BoardError, dump_answer, dump_board, load_answer, load_board
from scheduling.engine.checking import append_baseline, check
from scheduling.engine.model import Answer, Board
from scheduling.engine.search import STRATEGIES
from scheduling.engine.solver import Progress, quote
from scheduling.engine.verify import verify

__all__ = [
    "STRATEGIES",
    "Answer",
    "Board",
    "BoardError",
    "EngineError",
    "Progress",
    "append_baseline",
    "check",
    "dump_answer",
    "dump_board",
    "load_answer",
    "load_board",
    "quote",
    "verify",
]
