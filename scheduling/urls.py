"""Pages that read orders through the schedule: the order list and the manager's dashboard."""

from django.urls import URLPattern, URLResolver, path

from scheduling import views_orders

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/", views_orders.order_list, name="order-index"),
    path("dashboard/", views_orders.dashboard, name="dashboard"),
]
