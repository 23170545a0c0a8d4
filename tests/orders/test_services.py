"""An order's operations are created from its routing in one service (orders.services)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from orders.models import Operation, Order
from orders.services import order_operations_create
from tests.factories import BASE_INSTANT, CustomerFactory, ProductFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db


def test_each_order_gets_one_planned_operation_per_routing_step() -> None:
    saw, lathe, spare_lathe = (WorkCenterFactory.create() for _ in range(3))
    product = ProductFactory.create(routing__work_centers=[saw, lathe])
    turning = product.routing.get(sequence=20)
    turning.work_centers.add(spare_lathe)  # an alternative work center for the second step
    turning.run_minutes_per_unit = Decimal("2.50")
    turning.save(update_fields=["run_minutes_per_unit"])
    customer = CustomerFactory.create()
    orders = [
        Order.objects.create(
            code=f"SO-{quantity}",
            customer=customer,
            product=product,
            quantity=quantity,
            promised_due=BASE_INSTANT + timedelta(days=14),
            buffer_minutes=1440,
        )
        for quantity in (1, 5)
    ]
    routing = {product.pk: list(product.routing.order_by("sequence"))}

    created = order_operations_create(orders=orders, routing=routing)

    assert len(created) == 4
    rows = Operation.objects.order_by("order__code", "sequence")
    assert [(o.order.code, o.sequence, o.name, o.minutes, o.state) for o in rows] == [
        ("SO-1", 10, "Saw", 36, "planned"),
        ("SO-1", 20, "Turn", 33, "planned"),  # 30 + 2.5, rounded up
        ("SO-5", 10, "Saw", 60, "planned"),
        ("SO-5", 20, "Turn", 43, "planned"),  # 30 + 12.5, rounded up
    ]
    assert {wc.pk for wc in rows.get(order__code="SO-5", sequence=20).work_centers.all()} == {
        lathe.pk,
        spare_lathe.pk,
    }
    assert [wc.pk for wc in rows.get(order__code="SO-1", sequence=10).work_centers.all()] == [
        saw.pk
    ]
