"""Writes of the orders app that are not promises (those go through scheduling.services): an
order's operations, a user's time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection, Mapping, Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from orders.models import Operation, Order, Profile, RoutingStep


def profile_time_zone_set(*, user: User, time_zone: str) -> Profile:
    """Set the zone the user reads times in; blank goes back to the shop's. Writes the user's
    Profile.time_zone only. Raises ValidationError for a name that is not an IANA zone."""
    time_zone = time_zone.strip()
    if time_zone:
        try:
            zoneinfo.ZoneInfo(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": f"{time_zone!r} is not a time zone"}) from None
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        profile.time_zone = time_zone
        profile.save(update_fields=["time_zone"])
    return profile


def operations_create(
    *, operations: Sequence[tuple[Operation, Collection[int]]]
) -> list[Operation]:
    """Write unsaved Operation rows, each with the ids of the work centers it may run on.

    The one place an order's operations are created (the commit gate, board and CSV import, the
    demo shop), in bulk: a board or an ERP export may carry thousands of them. Writes Operation
    rows and their work-center links; enqueues nothing. Returns the rows, with their ids, in the
    order given."""
    with transaction.atomic():
        created = Operation.objects.bulk_create([operation for operation, _ in operations])
        through = Operation.work_centers.through
        through.objects.bulk_create(
            [
                through(operation_id=operation.pk, workcenter_id=center_id)
                for operation, (_, allowed) in zip(created, operations, strict=True)
                for center_id in allowed
            ]
        )
    return created


def order_operations_create(
    *, orders: Sequence[Order], routing: Mapping[int, Sequence[RoutingStep]]
) -> list[Operation]:
    """Write each order's operations from its product's routing (`routing`: product id -> its
    steps in sequence, work centers prefetched): one planned operation per step, named after
    it, taking the step's minutes for the order's quantity, on the step's work centers. Writes
    through `operations_create`; enqueues nothing."""
    return operations_create(
        operations=[
            (
                Operation(
                    order=order,
                    sequence=step.sequence,
                    name=step.name,
                    minutes=step.minutes_for(order.quantity),
                ),
                [center.pk for center in step.work_centers.all()],
            )
            for order in orders
            for step in routing[order.product_id]
        ]
    )
