"""API routes of the orders app, mounted under /api/ by config.urls."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import DefaultRouter

from orders import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False  # the root lists every app's routes: api.APIRootView
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("products", api.ProductViewSet, basename="product")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", api.APIRootView.as_view(), name="api-root"),
    path("me/", api.MeView.as_view(), name="api-me"),
    *router.urls,
]
