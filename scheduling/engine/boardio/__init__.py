"""board/1 and answer/1 JSON documents <-> the engine's dataclasses (see board-format.md).

Loading is strict: the first problem found raises ``BoardError`` whose ``field`` is a JSON path
in the document. What is rejected and what is accepted: docs/board-format.md ("Loading").
"""

from scheduling.engine.boardio.answer import dump_answer, load_answer, load_answer_file
from scheduling.engine.boardio.board_dump import dump_board, dump_request
from scheduling.engine.boardio.board_load import load_board, load_board_file, load_request
from scheduling.engine.boardio.fields import (
    ANSWER_FORMAT,
    BOARD_FORMAT,
    BoardError,
    format_instant,
    parse_instant,
)

__all__ = [
    "ANSWER_FORMAT",
    "BOARD_FORMAT",
    "BoardError",
    "dump_answer",
    "dump_board",
    "dump_request",
    "format_instant",
    "load_answer",
    "load_answer_file",
    "load_board",
    "load_board_file",
    "load_request",
    "parse_instant",
]
