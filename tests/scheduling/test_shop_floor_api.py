"""The shop-floor REST API: downtimes recorded, ended early and edited, operations started and
finished, by schedulers only, each through the shop-floor services (re-validating every
promise); bad input is a 400 with field messages and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from orders.models import Operation
from quoting.models import AuditEvent
from scheduling.boards import board_now
from scheduling.models import ScheduleVersion, WorkCenterDowntime
from tests.quoting.conftest import Shop, make_shop, seed_one_order_each

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_engine(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 1.0
    settings.ENGINE_WORKERS = 1


@pytest.fixture
def shop(db: None) -> Shop:
    shop = make_shop()
    seed_one_order_each(shop)
    return shop


@pytest.fixture
def scheduler(shop: Shop, api_client: Any) -> Any:
    api_client.force_authenticate(shop.users["scheduler"])
    return api_client


def _iso(value: Any) -> str:
    return value.isoformat()


def _writes() -> tuple[int, int, int]:
    return (
        WorkCenterDowntime.objects.count(),
        ScheduleVersion.objects.count(),
        AuditEvent.objects.count(),
    )


def test_record_a_downtime_then_end_it_early(shop: Shop, scheduler: Any) -> None:
    now = board_now()
    before = ScheduleVersion.objects.get(is_current=True).number
    response = scheduler.post(
        "/api/downtimes/",
        {
            "work_center": shop.mill.pk,
            "start": _iso(now),
            "end": _iso(now + timedelta(hours=6)),
            "reason": "Coolant pump",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["downtime"]["work_center_code"] == "MILL"
    assert body["downtime"]["reason"] == "Coolant pump"
    # Ten days of slack: the engine re-plans around six hours and every promise holds.
    assert body["outcome"]["schedule_version"] == before + 1
    assert body["outcome"]["board_broken"] is False and body["outcome"]["at_risk"] == []

    back = now + timedelta(hours=2)
    patched = scheduler.patch(
        f"/api/downtimes/{body['downtime']['id']}/", {"end": _iso(back)}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["downtime"]["end"].startswith(back.strftime("%Y-%m-%dT%H:%M"))
    assert patched.json()["outcome"]["schedule_version"] == before + 2
    downtime = WorkCenterDowntime.objects.get()
    assert downtime.end == back.replace(second=0, microsecond=0)
    audit = AuditEvent.objects.get(kind=AuditEvent.Kind.DOWNTIME_CHANGED)
    assert audit.actor == shop.users["scheduler"]
    assert audit.reason.startswith("MILL back up at")
    assert audit.detail["before"]["end"] != audit.detail["after"]["end"]
    assert audit.schedule_version is not None and audit.schedule_version.number == before + 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start": "+2h", "end": "+1h", "reason": "x"}, "end"),
        ({"start": "+0h", "end": "+1h", "reason": ""}, "reason"),
        ({"start": "not a time", "end": "+1h", "reason": "x"}, "start"),
        ({"work_center": 999999, "start": "+0h", "end": "+1h", "reason": "x"}, "work_center"),
    ],
)
def test_bad_downtime_is_a_400_with_field_messages_and_writes_nothing(
    shop: Shop, scheduler: Any, payload: dict[str, Any], field: str
) -> None:
    now = board_now()
    data: dict[str, Any] = {"work_center": shop.mill.pk}
    for key, value in payload.items():
        if isinstance(value, str) and value.startswith("+") and value.endswith("h"):
            value = _iso(now + timedelta(hours=int(value[1:-1])))
        data[key] = value
    before = _writes()
    response = scheduler.post("/api/downtimes/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _writes() == before


def test_a_bad_edit_writes_nothing(shop: Shop, scheduler: Any) -> None:
    now = board_now()
    downtime = WorkCenterDowntime.objects.create(
        work_center=shop.mill, start=now, end=now + timedelta(hours=3), reason="Pump"
    )
    before = _writes()
    response = scheduler.patch(
        f"/api/downtimes/{downtime.pk}/", {"end": _iso(now - timedelta(hours=1))}, format="json"
    )
    assert response.status_code == 400 and "end" in response.json()
    assert scheduler.patch(f"/api/downtimes/{downtime.pk}/", {}, format="json").status_code == 400
    assert _writes() == before
    downtime.refresh_from_db()
    assert downtime.end == now + timedelta(hours=3)


@pytest.mark.parametrize("who", ["sales", "manager", "acme"])
def test_only_schedulers_report(shop: Shop, api_client: Any, who: str) -> None:
    api_client.force_authenticate(shop.users[who])
    now = board_now()
    operation = Operation.objects.get(order__code="SO-2", sequence=10)
    downtime = WorkCenterDowntime.objects.create(
        work_center=shop.mill, start=now, end=now + timedelta(hours=3), reason="Pump"
    )
    before = _writes()
    responses = [
        api_client.post(
            "/api/downtimes/",
            {"work_center": shop.mill.pk, "start": _iso(now), "end": _iso(now), "reason": "x"},
            format="json",
        ),
        api_client.patch(f"/api/downtimes/{downtime.pk}/", {"reason": "y"}, format="json"),
        api_client.post(f"/api/operations/{operation.pk}/start/", {}, format="json"),
        api_client.post(f"/api/operations/{operation.pk}/finish/", {}, format="json"),
    ]
    assert [r.status_code for r in responses] == [403] * 4
    assert _writes() == before
    operation.refresh_from_db()
    assert operation.state == Operation.State.PLANNED


def test_start_and_finish_an_operation(shop: Shop, scheduler: Any) -> None:
    operation = Operation.objects.get(order__code="SO-2", sequence=10)
    started = board_now() - timedelta(minutes=1)
    response = scheduler.post(
        f"/api/operations/{operation.pk}/start/", {"at": _iso(started)}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["schedule_version"] is not None
    operation.refresh_from_db()
    assert operation.state == Operation.State.RUNNING
    assert operation.work_center == shop.mill  # where it was planned

    future = scheduler.post(
        f"/api/operations/{operation.pk}/finish/",
        {"at": _iso(board_now() + timedelta(hours=1))},
        format="json",
    )
    assert future.status_code == 400 and "at" in future.json()
    operation.refresh_from_db()
    assert operation.state == Operation.State.RUNNING

    finished = scheduler.post(f"/api/operations/{operation.pk}/finish/", {}, format="json")
    assert finished.status_code == 200, finished.json()
    operation.refresh_from_db()
    assert operation.state == Operation.State.DONE


def test_starting_out_of_order_is_refused_with_its_reason(shop: Shop, scheduler: Any) -> None:
    second = Operation.objects.get(order__code="SO-1", sequence=20)
    before = _writes()
    response = scheduler.post(
        f"/api/operations/{second.pk}/start/", {"work_center": shop.saw.pk}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "work_center" in body and "non_field_errors" in body  # wrong machine, 10 not done
    assert _writes() == before
    assert scheduler.post("/api/operations/999999/start/", {}, format="json").status_code == 404
