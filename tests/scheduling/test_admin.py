"""The admin cannot change what the current schedule was verified against, nor the board."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.test import Client

from scheduling.models import (
    Calendar,
    CalendarException,
    CapacityOption,
    CapacityOptionWindow,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
    WorkCenterDowntime,
)
from tests.factories import (
    CalendarFactory,
    CapacityOptionFactory,
    OrderFactory,
    ProductFactory,
    WorkCenterFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "demo")
    client = Client()
    client.force_login(user)
    return client


def test_every_model_of_the_app_is_in_the_admin() -> None:
    for model in (
        Calendar,
        CalendarException,
        WorkCenter,
        WorkCenterDowntime,
        CapacityOption,
        ScheduleVersion,
        ScheduledOperation,
    ):
        assert site.is_registered(model), model
    # Windows belong to their option and are edited inline on it.
    inlines = site.get_model_admin(CapacityOption).inlines
    assert [inline.model for inline in inlines] == [CapacityOptionWindow]


def test_resources_used_by_the_current_schedule_are_read_only(
    admin_client_logged_in: Client,
) -> None:
    used = WorkCenterFactory.create(code="USED-1")
    OrderFactory.create(product=ProductFactory.create(routing__work_centers=[used]), scheduled=True)
    free = WorkCenterFactory.create(code="FREE-1", calendar=CalendarFactory.create(code="spare"))
    client = admin_client_logged_in

    response = client.post(
        f"/admin/scheduling/workcenter/{used.pk}/change/",
        {"code": "USED-1", "name": "x", "capacity": 5, "calendar": used.calendar_id},
    )
    assert response.status_code == 403
    used.refresh_from_db()
    assert used.capacity == 1
    calendar_page = client.get(f"/admin/scheduling/calendar/{used.calendar_id}/change/")
    assert calendar_page.status_code == 200
    assert b'name="weekly"' not in calendar_page.content  # view only
    assert b'name="exceptions-0-start' not in calendar_page.content

    response = client.post(
        f"/admin/scheduling/workcenter/{free.pk}/change/",
        {"code": "FREE-1", "name": "Spare lathe", "capacity": 3, "calendar": free.calendar_id},
    )
    assert response.status_code == 302, response.content
    free.refresh_from_db()
    assert free.capacity == 3


def test_a_new_calendar_exception_cannot_target_a_calendar_in_use(
    admin_client_logged_in: Client,
) -> None:
    used = WorkCenterFactory.create()
    OrderFactory.create(product=ProductFactory.create(routing__work_centers=[used]), scheduled=True)
    response = admin_client_logged_in.post(
        "/admin/scheduling/calendarexception/add/",
        {
            "calendar": used.calendar_id,
            "kind": "closed",
            "start_0": "2026-12-07",
            "start_1": "06:00",
            "end_0": "2026-12-08",
            "end_1": "06:00",
            "reason": "sneaky holiday",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not CalendarException.objects.exists()


def test_board_versions_and_downtimes_are_read_only(admin_client_logged_in: Client) -> None:
    order = OrderFactory.create(scheduled=True)
    version = ScheduleVersion.objects.get(is_current=True)
    client = admin_client_logged_in
    assert client.get("/admin/scheduling/scheduleversion/add/").status_code == 403
    assert client.get("/admin/scheduling/scheduledoperation/add/").status_code == 403
    assert client.get("/admin/scheduling/workcenterdowntime/add/").status_code == 403
    assert client.get(f"/admin/scheduling/scheduleversion/{version.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/scheduling/scheduleversion/{version.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert ScheduledOperation.objects.filter(operation__order=order).count() == 3


def test_capacity_option_status_is_never_set_in_the_admin(admin_client_logged_in: Client) -> None:
    option = CapacityOptionFactory.create(code="SAT-1")
    response = admin_client_logged_in.post(
        f"/admin/scheduling/capacityoption/{option.pk}/change/",
        {
            "code": "SAT-1",
            "name": "Saturday",
            "kind": "saturday",
            "work_center": option.work_center_id,
            "cost": "900",
            "status": "applied",
            "windows-TOTAL_FORMS": "0",
            "windows-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    option.refresh_from_db()
    assert option.cost == 900  # offers may be edited...
    assert option.status == CapacityOption.Status.AVAILABLE  # ...but not applied here
    CapacityOption.objects.filter(pk=option.pk).update(status="applied")
    frozen = admin_client_logged_in.post(
        f"/admin/scheduling/capacityoption/{option.pk}/change/", {"cost": "1"}
    )
    assert frozen.status_code == 403
