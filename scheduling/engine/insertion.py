"""Insert the request into the existing schedule, relocating the planned work it displaces.

The result is an incumbent for the search (checked by ``violations`` before it is used), never
a bound. How the slots are tried and why the rules hold: docs/engine.md ("Relocating
insertion").
"""

from __future__ import annotations

import bisect

from scheduling.engine.dispatch import Lane, lane_fit
from scheduling.engine.problem import Placement, Problem, Solution

# Start instants tried per lane for one operation of the request, and relocations allowed for
# one slot (a chain that long would not fit the slack of a tightly promised board anyway).
STARTS_PER_LANE = 150
MAX_RELOCATIONS = 300


class _Lane(Lane):
    """A ``dispatch.Lane`` that also knows which task holds each occupation."""

    __slots__ = ("tasks",)

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[int] = []

    def insert(self, task: int, start: int, end: int) -> None:
        k = bisect.bisect_right(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)
        self.tasks.insert(k, task)

    def remove(self, task: int, start: int) -> None:
        k = bisect.bisect_left(self.starts, start)
        while self.tasks[k] != task:
            k += 1
        del self.starts[k], self.ends[k], self.tasks[k]

    def overlapping(self, start: int, end: int) -> list[int]:
        k = bisect.bisect_right(self.ends, start)
        found = []
        while k < len(self.tasks) and self.starts[k] < end:
            found.append(self.tasks[k])
            k += 1
        return found


class RelocationBoard:
    """The existing schedule in lanes, with trial insertions that can be undone."""

    def __init__(self, problem: Problem, solution: Solution, *, shift: bool = False) -> None:
        self.problem = problem
        self.shift = shift  # displaced work shifts right on its lane instead of into a gap
        self.placement: Solution = dict(solution)
        self.lane_of: dict[int, tuple[int, int]] = {}
        self.lanes: list[list[_Lane]] = [
            [_Lane() for _ in range(m.capacity)] for m in problem.machines
        ]
        self.next_in_job: dict[int, int] = {}
        self.previous_in_job: dict[int, int] = {}
        self.deadline_of: dict[int, int] = {}
        for job in problem.jobs:
            for a, b in zip(job.tasks, job.tasks[1:], strict=False):
                self.next_in_job[a] = b
                self.previous_in_job[b] = a
            if job.deadline is not None and job.tasks:
                self.deadline_of[job.tasks[-1]] = job.deadline
        self.locked: set[int] = {t.index for t in problem.tasks if t.fixed is not None}
        for t in sorted(solution, key=lambda t: (solution[t][1], solution[t][2])):
            machine, start, end = solution[t]
            for index, lane in enumerate(self.lanes[machine]):
                if not lane.ends or lane.ends[-1] <= start:
                    lane.insert(t, start, end)
                    self.lane_of[t] = (machine, index)
                    break
            else:
                raise ValueError("the schedule overloads a work center")
        self.log: list[tuple[int, Placement | None, tuple[int, int] | None]] = []
        self.work = 0  # operations taken out of their lane so far, trials included
        # Where each task taken out of its lane was: (start, machine, lane).
        self.taken_from: dict[int, tuple[int, int, int]] = {}

    # -- changes, each logged so that a failed trial can be undone --------------------------
    def _take_out(self, t: int) -> None:
        self.work += 1
        machine, lane = self.lane_of.pop(t)
        placement = self.placement.pop(t)
        self.taken_from[t] = (placement[1], machine, lane)
        self.lanes[machine][lane].remove(t, placement[1])
        self.log.append((t, placement, (machine, lane)))

    def _put(self, t: int, placement: Placement, lane: int) -> None:
        machine, start, end = placement
        self.lanes[machine][lane].insert(t, start, end)
        self.placement[t] = placement
        self.lane_of[t] = (machine, lane)
        self.log.append((t, None, None))

    def undo(self, mark: int) -> None:
        while len(self.log) > mark:
            t, placement, lane = self.log.pop()
            if placement is None:  # undo a put
                machine, index = self.lane_of.pop(t)
                start = self.placement.pop(t)[1]
                self.lanes[machine][index].remove(t, start)
            else:  # undo a take-out
                assert lane is not None
                self.lanes[lane[0]][lane[1]].insert(t, placement[1], placement[2])
                self.placement[t] = placement
                self.lane_of[t] = lane

    # -- searching ----------------------------------------------------------------------------
    def earliest_gap(
        self, t: int, ready: int, give_up: int | None = None
    ) -> tuple[Placement, int] | None:
        """The earliest-ending free slot for ``t`` on its alternatives at or after ``ready``
        (starting before ``give_up`` when given)."""
        problem = self.problem
        minutes = problem.tasks[t].minutes
        best: tuple[Placement, int] | None = None
        for machine in problem.tasks[t].alts:
            wt = problem.machines[machine].wt
            for index, lane in enumerate(self.lanes[machine]):
                fit = lane_fit(wt, lane, ready, minutes, give_up=give_up)
                if fit is not None and (best is None or fit[1] < best[0][2]):
                    best = ((machine, fit[0], fit[1]), index)
        return best

    def shift_target(self, t: int, settled: set[int]) -> tuple[Placement, int] | None:
        """``t`` on the lane it was on, at the first working instant after its predecessor
        and its old start that overlaps nothing settled in this trial (nothing is changed)."""
        old_start, machine, lane_index = self.taken_from[t]
        lane = self.lanes[machine][lane_index]
        wt = self.problem.machines[machine].wt
        cursor = max(self._ready(t), old_start)
        while True:
            start = wt.next_working(cursor)
            if start is None:
                return None
            end = wt.end_after(start, self.problem.tasks[t].minutes)
            if end is None:
                return None
            blocking = [d for d in lane.overlapping(start, end) if d in settled or d in self.locked]
            if not blocking:
                return (machine, start, end), lane_index
            cursor = max(self.placement[d][2] for d in blocking)

    def _displace(self, slot: tuple[Placement, int], pending: list[int]) -> None:
        """Take out whatever the slot overlaps on its lane; it is relocated in turn."""
        (machine, start, end), lane_index = slot
        for d in self.lanes[machine][lane_index].overlapping(start, end):
            self._take_out(d)
            pending.append(d)

    def _ready(self, t: int) -> int:
        previous = self.previous_in_job.get(t)
        if previous is not None:
            return self.placement[previous][2]
        return self.problem.jobs[self.problem.tasks[t].job].ready

    def _relocate(self, displaced: list[int], inserted: int) -> bool:
        """Put each displaced task into its earliest gap after its predecessor, then fix its
        successors the same way; False on a locked task, a broken promise or too many moves."""
        pending = list(displaced)
        moves = 0
        settled: set[int] = {inserted}
        while pending:
            pending.sort(key=lambda d: self.taken_from[d][0])
            t = pending.pop(0)
            moves += 1
            if moves > MAX_RELOCATIONS:
                return False
            deadline = self.deadline_of.get(t)
            if self.shift:
                # Shift right on its lane, displacing what follows, unless a free gap on one
                # of its alternatives does better: it starts no later (nothing displaced), or
                # the shift would break the promise and the gap keeps it.
                slot = self.shift_target(t, settled)
                if slot is None:
                    gap = self.earliest_gap(t, self._ready(t))
                else:
                    limit = slot[0][1] + 1
                    if deadline is not None and slot[0][2] > deadline:
                        limit = deadline
                    gap = self.earliest_gap(t, self._ready(t), give_up=limit)
                if gap is not None and (slot is None or gap[0][2] <= max(slot[0][2], limit)):
                    slot = gap
                elif slot is not None:
                    self._displace(slot, pending)
            else:
                slot = self.earliest_gap(t, self._ready(t))
            if slot is None:
                return False
            placement, lane = slot
            if deadline is not None and placement[2] > deadline:
                return False
            self._put(t, placement, lane)
            settled.add(t)
            following = self.next_in_job.get(t)
            if following is not None and following in self.placement:
                if self.placement[following][1] < placement[2]:
                    if following in self.locked:
                        return False
                    self._take_out(following)
                    pending.append(following)
        return True

    def try_slot(self, t: int, machine: int, lane: int, start: int, end: int) -> bool:
        """Insert ``t`` at [start, end) on the lane, relocating what it overlaps (logged)."""
        displaced = self.lanes[machine][lane].overlapping(start, end)
        if any(d in self.locked for d in displaced):
            return False
        for d in displaced:
            self._take_out(d)
        self._put(t, (machine, start, end), lane)
        return self._relocate(displaced, t)

    def insert(self, t: int, ready: int, max_work: int | None = None) -> Placement | None:
        """Insert ``t`` at its best slot at or after ``ready`` (docs/engine.md, "Relocating
        insertion"); no further start instants are tried once ``work`` reaches ``max_work``."""
        problem = self.problem
        minutes = problem.tasks[t].minutes
        best: tuple[int, int, int, int, int] | None = None  # end, moves, machine, lane, start
        for machine in problem.tasks[t].alts:
            wt = problem.machines[machine].wt
            for index, lane in enumerate(self.lanes[machine]):
                k = bisect.bisect_right(lane.ends, ready)
                instants = [ready, *lane.ends[k : k + STARTS_PER_LANE]]
                tried: set[int] = set()
                for instant in instants:
                    if max_work is not None and self.work >= max_work:
                        break
                    start = wt.next_working(instant)
                    if start is None or start in tried:
                        continue
                    tried.add(start)
                    end = wt.end_after(start, minutes)
                    if end is None or (best is not None and end > best[0]):
                        break
                    mark = len(self.log)
                    if self.try_slot(t, machine, index, start, end):
                        moves = len(self.log) - mark
                        if best is None or (end, moves) < (best[0], best[1]):
                            best = (end, moves, machine, index, start)
                    self.undo(mark)
        gap = self.earliest_gap(t, ready)  # a free gap, nothing displaced (always there)
        if gap is not None and (best is None or gap[0][2] < best[0]):
            (machine, start, end), index = gap
            best = (end, 0, machine, index, start)
        if best is None:
            return None
        end, _, machine, index, start = best
        self.try_slot(t, machine, index, start, end)
        self.locked.add(t)
        self.log.clear()
        return (machine, start, end)


def insert_with_relocation(
    problem: Problem,
    existing: Solution,
    job_index: int,
    *,
    shift: bool = False,
    max_work: int | None = None,
    work_done: list[int] | None = None,
) -> Solution | None:
    """``existing`` plus the job's tasks, each at its best slot given the relocations above
    (displaced work shifted right on its lane with ``shift``, else moved into gaps); None if
    some task finds no slot. ``max_work`` caps the operations taken out over all trials: past
    it, each remaining task takes the best slot found so far or a free gap. The work done
    (operations taken out) is appended to ``work_done`` when given."""
    board = RelocationBoard(problem, existing, shift=shift)
    ready = problem.jobs[job_index].ready
    try:
        for t in problem.jobs[job_index].tasks:
            placement = board.insert(t, ready, max_work)
            if placement is None:
                return None
            ready = placement[2]
        return board.placement
    finally:
        if work_done is not None:
            work_done.append(board.work)
