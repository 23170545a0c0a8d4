"""API routes of the scheduling app, mounted under /api/ by config.urls."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import DefaultRouter

from scheduling import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False  # /api/ is shared by several apps
router.register("work-centers", api.WorkCenterViewSet, basename="work-center")
router.register("schedule-versions", api.ScheduleVersionViewSet, basename="schedule-version")
router.register("orders", api.OrderViewSet, basename="order")

urlpatterns: list[URLPattern | URLResolver] = [
    path("board/", api.BoardView.as_view(), name="api-board"),
    *router.urls,
]
