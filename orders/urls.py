"""Pages: sign-in, the role-aware home and the user's time zone."""

from django.urls import URLPattern, URLResolver, path

from orders import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout, name="logout"),
    path("account/time-zone/", views.account_time_zone, name="account-time-zone"),
]
