"""The order list and the manager's dashboard: pages that read orders through the schedule
(their projection, load against capacity).

Thin views: the rows come from selectors (`orders.selectors` filters by the signed-in user)."""

from __future__ import annotations

from django.db.models import Case, IntegerField, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orders import charts
from orders.forms import OrderFilterForm
from orders.list_pages import csv_response, page_of, wants_csv
from orders.models import Order, Profile
from orders.page_access import role_required
from orders.selectors import orders_filtered
from scheduling.boards import current_version
from scheduling.selectors import board_health
from scheduling.selectors_performance import Dashboard, manager_dashboard
from scheduling.selectors_visible import orders_with_projection_visible_to

ORDER_CSV_HEADER = [
    "order",
    "customer",
    "product",
    "quantity",
    "status",
    "promised_due",
    "projected_completion",
    "on_track",
    "created_at",
    "completed_at",
]


@role_required(Profile.Role.SALES, Profile.Role.SCHEDULER, Profile.Role.MANAGER)
def order_list(request: HttpRequest) -> HttpResponse:
    """Every order with its promise and projection, filtered (GET), a page at a time, or all
    of them as CSV."""
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = orders_filtered(
        orders_with_projection_visible_to(request.user),
        text=filters.get("q") or "",
        customer_id=filters["customer"].pk if filters.get("customer") else None,
        status=filters.get("status") or "",
        promised_from=filters.get("promised_from"),
        promised_to=filters.get("promised_to"),
    ).order_by(
        # Orders still to make first (what people look for), delivered and cancelled after.
        Case(
            When(status__in=[Order.Status.DONE, Order.Status.CANCELLED], then=1),
            default=0,
            output_field=IntegerField(),
        ),
        "promised_due",
        "code",
    )
    if wants_csv(request):
        return csv_response(
            "orders.csv",
            ORDER_CSV_HEADER,
            (
                [
                    o.code,
                    o.customer.name,
                    o.product.code,
                    o.quantity,
                    o.get_status_display(),
                    o.promised_due,
                    o.projected_completion,  # type: ignore[attr-defined]
                    o.on_track,  # type: ignore[attr-defined]
                    o.created_at,
                    o.completed_at,
                ]
                for o in orders
            ),
        )
    return render(
        request, "orders/order_list.html", {"page": page_of(request, orders), "filter_form": form}
    )


def _dashboard_csv(data: Dashboard, table: str) -> HttpResponse | None:
    """One of the dashboard's tables as CSV, or None for an unknown table."""
    if table == "on-time":
        rows = [
            [p.label, None if p.value is None else round(p.value, 1)] for p in data.on_time_weekly
        ]
        return csv_response("on-time-by-week.csv", ["week", "on_time_percent"], rows)
    if table == "reliability":
        rows = [[p.label, p.value] for p in data.lateness_bins]
        return csv_response("promise-reliability.csv", ["days_vs_first_promise", "orders"], rows)
    if table == "lead-time":
        rows = [[p.label, p.value] for p in data.lead_time_bins]
        return csv_response("quoted-lead-time.csv", ["lead_time_days", "promises"], rows)
    if table == "load":
        rows = [
            [
                work_center,
                week,
                round(cell.load_minutes / 60, 1),
                round(cell.capacity_minutes / 60, 1),
                None if cell.ratio is None else round(cell.ratio * 100),
            ]
            for work_center, cells in data.load_rows
            for week, cell in zip(data.load_weeks, cells, strict=True)
        ]
        header = ["work_center", "week", "planned_hours", "available_hours", "load_percent"]
        return csv_response("load-vs-capacity.csv", header, rows)
    return None


@role_required(Profile.Role.MANAGER)
def dashboard(request: HttpRequest) -> HttpResponse:
    data = manager_dashboard()
    if wants_csv(request):
        export = _dashboard_csv(data, request.GET.get("table", ""))
        if export is None:
            raise Http404("No such table.")
        return export
    return render(
        request,
        "orders/dashboard.html",
        {
            "d": data,
            "version": current_version(),
            "health": board_health(),
            "on_time_chart": charts.line_chart(data.on_time_weekly, target=95),
            "lead_chart": charts.histogram(data.lead_time_bins, x_label="days"),
            "lateness_chart": charts.histogram(
                data.lateness_bins, colors=data.lateness_colors, x_label="days late"
            ),
            "load_chart": charts.load_matrix(data.load_rows, data.load_weeks),
        },
    )
