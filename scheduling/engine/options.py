"""What each capacity option would buy: the request's completion with the option's hours."""

from __future__ import annotations

from datetime import timedelta

from scheduling.engine.budget import (
    Clock,
)
from scheduling.engine.calendars import to_instant
from scheduling.engine.dispatch import place_job
from scheduling.engine.model import Board, OptionResult
from scheduling.engine.problem import (
    Placement,
    Problem,
    Solution,
    with_option,
)
from scheduling.engine.search import (
    OPTIONS_SHARE,
    RELOCATION_TASKS,
    WHOLE_BOARD_TASKS,
    CompletionSearch,
)


def evaluate_option(
    board: Board,
    problem: Problem,
    option_id: str,
    search: CompletionSearch,
    clock: Clock,
    workers: int,
    seed: int,
    budget: float,
) -> OptionResult:
    """The completion the request would get with one more capacity option.

    Always a real schedule's completion, never an estimate: the answer's own schedule stays
    valid with the option (starts remain working time, ends can only come earlier), so it is
    the starting point; then the request is re-inserted into the gaps the option opens, then
    relocating planned work (which can move into the option's hours), and, while its share of
    the time lasts, re-optimised.
    """
    assert search.best is not None and search.request is not None
    base_completion = search.completion
    assert base_completion is not None
    option = next(o for o in board.capacity_options or () if o.id == option_id)
    machine = problem.machine_by_id[option.work_center]
    request_job = problem.jobs[search.request]
    request_machines = {m for t in request_job.tasks for m in problem.tasks[t].alts}
    buffer = board.order_buffer(board.request) if board.request else board.buffer_minutes
    out_of_time = clock.remaining() <= 0.01 or clock.is_cancelled()
    if out_of_time or (machine not in request_machines and len(problem.tasks) > WHOLE_BOARD_TASKS):
        # Re-inserting the request would meet the same occupations on its own machines, and
        # a re-optimisation of a board this size does not fit an option's share of the time
        # (or no time is left): report the answer's own completion (gain 0), which the
        # answer's schedule does reach with the option too.
        return OptionResult(
            id=option_id,
            completion=to_instant(base_completion, board.now),
            promise=to_instant(base_completion, board.now) + timedelta(minutes=buffer),
            gain_minutes=0,
        )
    option_problem = with_option(problem, machine, option.extra)

    on_option_machine = search.on_machine(machine)

    def reflowed(solution: Solution, t: int) -> Placement:
        placement = solution[t]
        if placement[0] != machine:
            return placement
        task = option_problem.tasks[t]
        return (
            task.fixed if task.fixed is not None else option_problem.place(t, machine, placement[1])
        )

    # The answer's own schedule with the option: request ends can only come earlier.
    completion_here = reflowed(search.best, request_job.tasks[-1])[2]
    # The request re-inserted into the existing work, which the option may have compacted.
    occupations = [
        reflowed(search.existing, t)
        for m in request_machines
        for t in search.on_machine(m)
        if t in search.existing
    ]
    inserted = place_job(option_problem, occupations, search.request)
    if inserted is not None:
        completion_here = min(completion_here, inserted[-1][2])
    option_completion = completion_here
    if len(problem.tasks) <= WHOLE_BOARD_TASKS and not clock.is_cancelled():
        # Small enough to copy the whole schedule and re-optimise with the option's hours.
        def reflow(solution: Solution) -> Solution:
            result = dict(solution)
            for t in on_option_machine:
                if t in solution:
                    result[t] = reflowed(solution, t)
            return result

        option_search = CompletionSearch(
            option_problem, reflow(search.existing), clock, workers, seed
        )
        hint = reflow(search.best)
        final = request_job.tasks[-1]
        if option_search.best is None or option_search.best[final][2] > hint[final][2]:
            option_search.best = hint
        if len(problem.tasks) <= RELOCATION_TASKS:
            # The request inserted again, relocating planned work, into the plan with the
            # option's hours: where the option adds time on a bottleneck this is what finds
            # the gain in a short share (the windowed search rarely has time to).
            option_search.try_relocation(budget / 2)
        option_search.run(
            deadline=clock.elapsed() + budget,
            share=OPTIONS_SHARE / max(1, len(board.capacity_options or ())),
        )
        option_completion = min(option_completion, option_search.completion or base_completion)
    completion = min(option_completion, base_completion)
    return OptionResult(
        id=option_id,
        completion=to_instant(completion, board.now),
        promise=to_instant(completion, board.now) + timedelta(minutes=buffer),
        gain_minutes=max(0, base_completion - completion),
    )
