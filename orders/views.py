"""Pages of the orders app: sign-in, the role-aware home, the customer portal, the dashboard.

Thin views: the rows come from selectors (`orders.selectors` filters by the signed-in user, so
a customer can only ever reach its own orders) and writes go through services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orders import charts
from orders import services as orders_services
from orders.forms import EarlierDateForm, OrderFilterForm, SignInForm, TimeZoneForm
from orders.list_pages import csv_response, page_of, wants_csv
from orders.models import Order, Profile
from orders.page_access import NAVIGATION, page_user, role_required
from orders.selectors import orders_filtered, profile_of, role_of
from orders.selectors_dashboard import Dashboard, manager_dashboard
from quoting import services as quoting_services
from quoting.selectors import order_history
from scheduling.boards import current_version
from scheduling.selectors import board_health
from scheduling.selectors_visible import (
    order_details_visible_to,
    orders_with_projection_visible_to,
    outlook_of,
)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = SignInForm


logout = auth_views.LogoutView.as_view()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its first page; a user without a role is told so (no page is theirs)."""
    role = role_of(request.user)
    if role in NAVIGATION:
        return redirect(NAVIGATION[role][0][0])
    return render(request, "orders/no_role.html", status=403)


def _with_status(order: Order) -> Order:
    """Attach the buffer status the portal shows (annotations come from the selector)."""
    order.buffer = outlook_of(order)  # type: ignore[attr-defined]
    return order


@login_required
def account_time_zone(request: HttpRequest) -> HttpResponse:
    """The user picks the time zone its pages show (post/redirect/get)."""
    profile = profile_of(request.user)
    if profile is None:
        return render(request, "orders/no_role.html", status=403)
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            try:
                orders_services.profile_time_zone_set(
                    user=page_user(request), time_zone=form.cleaned_data["time_zone"]
                )
            except ValidationError as exc:
                form.add_error("time_zone", exc.messages)
            else:
                messages.success(request, "Saved: times are now shown in the zone you chose.")
                return redirect("account-time-zone")
        return render(request, "orders/account_time_zone.html", {"form": form}, status=400)
    form = TimeZoneForm(initial={"time_zone": profile.time_zone})
    return render(request, "orders/account_time_zone.html", {"form": form})


@role_required(Profile.Role.CUSTOMER)
def portal(request: HttpRequest) -> HttpResponse:
    orders = [
        _with_status(o) for o in order_details_visible_to(request.user).order_by("promised_due")
    ]
    # Orders still to come first, delivered and cancelled ones after them.
    closed = (Order.Status.DONE, Order.Status.CANCELLED)
    orders.sort(key=lambda o: o.status in closed)
    for order in orders:
        ops = list(order.operations.all())
        order.steps = ops  # type: ignore[attr-defined]
        order.done_steps = sum(1 for op in ops if op.state == op.State.DONE)  # type: ignore[attr-defined]
    return render(request, "orders/portal.html", {"orders": orders})


def _own_order(request: HttpRequest, code: str) -> Order:
    # The selector only holds this customer's orders: another customer's code is a 404,
    # indistinguishable from an order that does not exist.
    try:
        return _with_status(order_details_visible_to(request.user).get(code=code))
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


def _order_page(
    request: HttpRequest, order: Order, form: EarlierDateForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "orders/portal_order.html",
        {
            "order": order,
            "steps": list(order.operations.all()),
            "history": order_history(order, internal=False),
            "requests": order.date_requests.order_by("-created_at")[:5],
            "earlier_form": form,
        },
        status=status,
    )


@role_required(Profile.Role.CUSTOMER)
def portal_order(request: HttpRequest, code: str) -> HttpResponse:
    order = _own_order(request, code)
    return _order_page(request, order, EarlierDateForm(order=order))


@role_required(Profile.Role.CUSTOMER)
@require_POST
def portal_order_earlier(request: HttpRequest, code: str) -> HttpResponse:
    """A request for an earlier date goes to sales; the promise is untouched."""
    order = _own_order(request, code)
    form = EarlierDateForm(request.POST, order=order)
    if form.is_valid():
        try:
            quoting_services.quote_request_from_customer(
                order_id=order.pk,
                requested_due=form.cleaned_data["requested_due"],
                note=form.cleaned_data["note"],
                requested_by=page_user(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                "Request sent. Our sales team will check it against the schedule and answer; "
                "your current promise stays until then.",
            )
            return redirect("portal-order", code=order.code)
    return _order_page(request, order, form, status=400)


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
