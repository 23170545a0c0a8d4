"""Pages: sign-in, the role-aware home, the customer portal and the manager dashboard."""

from django.urls import URLPattern, URLResolver, path

from orders import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout, name="logout"),
    path("portal/", views.portal, name="portal"),
    path("portal/orders/<str:code>/", views.portal_order, name="portal-order"),
    path(
        "portal/orders/<str:code>/earlier/", views.portal_order_earlier, name="portal-order-earlier"
    ),
    path("orders/", views.order_list, name="order-index"),
    path("account/time-zone/", views.account_time_zone, name="account-time-zone"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
