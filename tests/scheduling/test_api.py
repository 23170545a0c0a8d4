"""The scheduling API: work centers, schedule versions and the board/1 download, by role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from scheduling.engine import load_board
from scheduling.models import ScheduledOperation, ScheduleVersion
from tests.factories import (
    CalendarExceptionFactory,
    CapacityOptionFactory,
    OrderFactory,
    ProductFactory,
    ScheduleVersionFactory,
    WorkCenterFactory,
)

pytestmark = pytest.mark.django_db

ClientAs = Callable[..., APIClient]


@pytest.fixture
def shop() -> dict[str, Any]:
    """Two work centers on one calendar with a holiday, two scheduled orders, an option."""
    saw, lathe = (
        WorkCenterFactory.create(code="SAW-1"),
        WorkCenterFactory.create(code="LATHE-1", capacity=2),
    )
    lathe.calendar = saw.calendar
    lathe.save()
    CalendarExceptionFactory.create(calendar=saw.calendar)
    product = ProductFactory.create(routing__work_centers=[saw, lathe])
    orders = [OrderFactory.create(product=product, scheduled=True) for _ in range(2)]
    CapacityOptionFactory.create(code="SAT-LATHE", work_center=lathe)
    return {"saw": saw, "lathe": lathe, "orders": orders}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("role", ["scheduler", "manager"])
def test_board_is_the_current_schedule_in_board_format(
    role: str, client_as: ClientAs, shop: dict[str, Any]
) -> None:
    response = client_as(role).get("/api/board/")
    assert response.status_code == 200
    document = response.json()
    assert document["format"] == "board/1"
    board = load_board(document)  # the engine accepts what the API serves

    assert {o.id for o in board.orders} == {o.code for o in shop["orders"]}
    assert {wc.id: wc.capacity for wc in board.work_centers} == {"SAW-1": 1, "LATHE-1": 2}
    calendar = board.calendar(board.work_center("SAW-1").calendar)
    assert len(calendar.closed) == 1  # the holiday
    assert [option.id for option in board.capacity_options or ()] == ["SAT-LATHE"]

    expected = {
        (
            row.operation.order.code,
            str(row.operation.sequence),
            row.work_center.code,
            row.start,
            row.end,
        )
        for row in ScheduledOperation.objects.filter(version__is_current=True).select_related(
            "operation__order", "work_center"
        )
    }
    assert len(expected) == 4
    assert {
        (r.order, r.operation, r.work_center, r.start, r.end) for r in board.schedule or ()
    } == expected


def test_board_follows_the_current_version(client_as: ClientAs, shop: dict[str, Any]) -> None:
    # A newer version that is not current must not leak into the board.
    draft = ScheduleVersionFactory.create(is_current=False)
    first = shop["orders"][0].operations.get(sequence=10)
    ScheduledOperation.objects.create(
        version=draft,
        operation=first,
        work_center=shop["saw"],
        start=instant("2027-01-04T06:00:00Z"),
        end=instant("2027-01-04T08:00:00Z"),
    )
    rows = client_as("scheduler").get("/api/board/").json()["schedule"]
    assert "2027-01-04T06:00:00Z" not in {row["start"] for row in rows}


@pytest.mark.parametrize("role", ["sales", "customer"])
def test_board_and_versions_are_refused_to_other_roles(
    role: str, client_as: ClientAs, shop: dict[str, Any]
) -> None:
    client = client_as(role)
    version = ScheduleVersion.objects.get(is_current=True)
    for url in ("/api/board/", "/api/schedule-versions/", f"/api/schedule-versions/{version.pk}/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"SAW-1" not in response.content


def test_unauthenticated_board_is_refused(api_client: APIClient, shop: dict[str, Any]) -> None:
    response = api_client.get("/api/board/")
    assert response.status_code in (401, 403)
    assert b"board/1" not in response.content


@pytest.mark.parametrize("role", ["scheduler", "manager"])
def test_schedule_versions_list_and_detail(
    role: str, client_as: ClientAs, shop: dict[str, Any]
) -> None:
    current = ScheduleVersion.objects.get(is_current=True)
    older = ScheduleVersionFactory.create(
        is_current=False, number=current.number + 1, parent=current
    )
    client = client_as(role)
    listing = client.get("/api/schedule-versions/").json()["results"]
    assert [(v["number"], v["is_current"]) for v in listing] == [
        (older.number, False),
        (current.number, True),
    ]
    assert listing[1]["operation_count"] == 4
    assert listing[0]["parent"] == current.number

    detail = client.get(f"/api/schedule-versions/{current.pk}/").json()
    operations = detail["operations"]
    assert len(operations) == 4
    assert [op["start"] for op in operations] == sorted(op["start"] for op in operations)
    assert {op["order"] for op in operations} == {o.code for o in shop["orders"]}
    assert {op["work_center"] for op in operations} == {"SAW-1", "LATHE-1"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_schedule_versions_are_read_only(
    method: str, client_as: ClientAs, shop: dict[str, Any]
) -> None:
    current = ScheduleVersion.objects.get(is_current=True)
    url = "/api/schedule-versions/" if method == "post" else f"/api/schedule-versions/{current.pk}/"
    response = getattr(client_as("scheduler"), method)(url, {"is_current": False}, format="json")
    assert response.status_code == 405
    assert ScheduleVersion.objects.get(pk=current.pk).is_current


@pytest.mark.parametrize("role", ["sales", "scheduler", "manager"])
def test_work_centers_with_calendar_for_staff(
    role: str, client_as: ClientAs, shop: dict[str, Any]
) -> None:
    rows = client_as(role).get("/api/work-centers/").json()["results"]
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == {"SAW-1", "LATHE-1"}
    assert by_code["LATHE-1"]["capacity"] == 2
    calendar = by_code["SAW-1"]["calendar"]
    assert calendar["weekly"]["mon"] == [["06:00", "14:00"], ["14:00", "22:00"]]
    assert calendar["weekly"]["sun"] == []
    assert [e["kind"] for e in calendar["exceptions"]] == ["closed"]


def test_work_centers_refused_to_customers(client_as: ClientAs, shop: dict[str, Any]) -> None:
    client = client_as("customer")
    assert client.get("/api/work-centers/").status_code == 403
    assert client.get(f"/api/work-centers/{shop['saw'].pk}/").status_code == 403
