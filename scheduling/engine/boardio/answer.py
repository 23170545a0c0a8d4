"""answer/1 documents <-> ``Answer``."""

from __future__ import annotations

from os import PathLike
from typing import Any

from scheduling.engine.boardio.fields import (
    ANSWER_FORMAT,
    ANSWER_STATUSES,
    dump_scheduled_operation,
    expect_bool,
    expect_id,
    expect_list,
    expect_minutes,
    expect_number,
    expect_object,
    expect_scheduled_operation,
    expect_string,
    fail,
    format_instant,
    format_optional_instant,
    optional_instant,
    parse_instant,
    read_json_file,
)
from scheduling.engine.model import (
    Answer,
    MovedOperation,
    OptionResult,
)

_ANSWER_REQUIRED = (
    "format",
    "status",
    "request",
    "completion",
    "promise",
    "lower_bound",
    "proven_optimal",
    "requested_due_feasible",
    "schedule",
    "moved",
    "options",
    "binding",
    "solve_seconds",
)


def dump_answer(answer: Answer) -> dict[str, Any]:
    """The answer/1 document. ``at_fault`` is written for an infeasible answer (or when set),
    ``earliest_completion`` when the promise keeps the requested date, ``projection``,
    ``at_risk`` and ``message`` only when non-empty; absent instants are null."""
    doc: dict[str, Any] = {
        "format": ANSWER_FORMAT,
        "status": answer.status,
        "request": answer.request,
        "completion": format_optional_instant(answer.completion),
        "promise": format_optional_instant(answer.promise),
        "lower_bound": format_optional_instant(answer.lower_bound),
        "proven_optimal": answer.proven_optimal,
        "requested_due_feasible": answer.requested_due_feasible,
        "schedule": [dump_scheduled_operation(row) for row in answer.schedule],
        "moved": [
            {
                "order": move.order,
                "operation": move.operation,
                "from": format_instant(move.from_start),
                "to": format_instant(move.to_start),
            }
            for move in answer.moved
        ],
        "options": [
            {
                "id": option.id,
                "completion": format_optional_instant(option.completion),
                "promise": format_optional_instant(option.promise),
                "gain_minutes": option.gain_minutes,
            }
            for option in answer.options
        ],
        "binding": {
            "work_centers": list(answer.binding_work_centers),
            "orders": list(answer.binding_orders),
        },
        "solve_seconds": answer.solve_seconds,
    }
    if answer.earliest_completion is not None:
        doc["earliest_completion"] = format_instant(answer.earliest_completion)
    if answer.status == "infeasible" or answer.at_fault:
        doc["at_fault"] = list(answer.at_fault)
    if answer.projection:
        doc["projection"] = [dump_scheduled_operation(row) for row in answer.projection]
    if answer.at_risk:
        doc["at_risk"] = list(answer.at_risk)
    if answer.message:
        doc["message"] = answer.message
    return doc


def load_answer(doc: Any) -> Answer:
    """Validate an answer/1 document and return the engine's ``Answer``."""
    root = expect_object(
        doc,
        "",
        _ANSWER_REQUIRED,
        ("at_fault", "projection", "at_risk", "message", "earliest_completion"),
    )
    if root["format"] != ANSWER_FORMAT:
        fail("format", f"must be {ANSWER_FORMAT!r}, got {root['format']!r}")
    status = root["status"]
    if status not in ANSWER_STATUSES:
        fail("status", f"must be one of {', '.join(ANSWER_STATUSES)}; got {status!r}")
    request = root["request"]
    if request is not None:
        request = expect_id(request, "request")
    feasible = root["requested_due_feasible"]
    if feasible is not None:
        feasible = expect_bool(feasible, "requested_due_feasible")
    moved = []
    for index, item in enumerate(expect_list(root["moved"], "moved")):
        path = f"moved[{index}]"
        body = expect_object(item, path, ("order", "operation", "from", "to"))
        moved.append(
            MovedOperation(
                order=expect_id(body["order"], f"{path}.order"),
                operation=expect_id(body["operation"], f"{path}.operation"),
                from_start=parse_instant(body["from"], f"{path}.from"),
                to_start=parse_instant(body["to"], f"{path}.to"),
            )
        )
    options = []
    for index, item in enumerate(expect_list(root["options"], "options")):
        path = f"options[{index}]"
        body = expect_object(item, path, ("id", "completion", "promise", "gain_minutes"))
        options.append(
            OptionResult(
                id=expect_id(body["id"], f"{path}.id"),
                completion=optional_instant(body["completion"], f"{path}.completion"),
                promise=optional_instant(body["promise"], f"{path}.promise"),
                gain_minutes=expect_minutes(
                    body["gain_minutes"], f"{path}.gain_minutes", minimum=0
                ),
            )
        )
    binding = expect_object(root["binding"], "binding", ("work_centers", "orders"))
    at_fault = [
        expect_id(item, f"at_fault[{index}]")
        for index, item in enumerate(expect_list(root.get("at_fault", []), "at_fault"))
    ]
    at_risk = [
        expect_id(item, f"at_risk[{index}]")
        for index, item in enumerate(expect_list(root.get("at_risk", []), "at_risk"))
    ]
    message = expect_string(root.get("message", ""), "message")
    projection = tuple(
        expect_scheduled_operation(item, f"projection[{index}]")
        for index, item in enumerate(expect_list(root.get("projection", []), "projection"))
    )
    return Answer(
        status=status,
        request=request,
        completion=optional_instant(root["completion"], "completion"),
        promise=optional_instant(root["promise"], "promise"),
        lower_bound=optional_instant(root["lower_bound"], "lower_bound"),
        proven_optimal=expect_bool(root["proven_optimal"], "proven_optimal"),
        requested_due_feasible=feasible,
        earliest_completion=optional_instant(
            root.get("earliest_completion"), "earliest_completion"
        ),
        schedule=tuple(
            expect_scheduled_operation(item, f"schedule[{index}]")
            for index, item in enumerate(expect_list(root["schedule"], "schedule"))
        ),
        moved=tuple(moved),
        options=tuple(options),
        binding_work_centers=tuple(
            expect_id(item, f"binding.work_centers[{index}]")
            for index, item in enumerate(
                expect_list(binding["work_centers"], "binding.work_centers")
            )
        ),
        binding_orders=tuple(
            expect_id(item, f"binding.orders[{index}]")
            for index, item in enumerate(expect_list(binding["orders"], "binding.orders"))
        ),
        at_fault=tuple(at_fault),
        projection=projection,
        at_risk=tuple(at_risk),
        solve_seconds=expect_number(root["solve_seconds"], "solve_seconds", minimum=0),
        message=message,
    )


def load_answer_file(path: str | PathLike[str]) -> Answer:
    """Read an answer/1 JSON file; unreadable or non-JSON files raise ``BoardError``."""
    return load_answer(read_json_file(path))
