"""board/1 and answer/1 JSON documents <-> the engine's dataclasses (see board-format.md).

Loading is strict because a board file drives promises: an unknown key, a naive instant or a
fractional duration is a mistake upstream, and guessing would hide it. The first problem found
raises ``BoardError`` whose ``field`` is a JSON path in the document, for example
``orders[3].operations[0].minutes``, ``calendars.two-shift.weekly.mon[0]``, ``schedule[2].end``,
``request.operations[0].work_centers[1]``. The root object itself is the empty path.

Decisions the format leaves open (the solver and the Django side rely on them):

- ``weekly`` must list all seven weekdays; a day's windows must be sorted and must not overlap
  (touching windows such as 06:00-14:00 and 14:00-22:00 are allowed). They are rejected, not
  merged, so that an export writes back exactly what was read.
- ``24:00`` is allowed only as a window end.
- ``closed`` and ``extra`` are optional and are omitted on export when empty.
- A ``planned`` operation carries neither ``start`` nor ``work_center``. A ``running`` one must
  carry both (start not after ``now``, work center one of its ``work_centers``). A ``done`` one
  may carry them as history (same checks); the engine ignores them.
- States along a routing go done* -> at most one running -> planned*.
- Running operations on one work center may not outnumber its capacity.
- ``release`` before ``now`` is accepted: the effective earliest start is ``max(now, release)``.
- ``due`` in the past is accepted (an order already late).
- Baseline ``schedule`` rows may name done operations (a stale baseline); they must name a known
  order, one of its operations and one of that operation's work centers.
- Request operations are always planned (``state`` absent or ``"planned"``).
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
