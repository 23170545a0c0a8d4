"""API routes of the quoting workflow, mounted under /api/ by config.urls.

Explicit paths (no router): `orders/<pk>/repromise/` and `orders/<pk>/history/` sit beside the
orders app's read-only router without colliding with its `orders/<pk>/` detail route."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import DefaultRouter

from quoting import api, api_shop_floor

# Shop-floor events re-validate promises and may propose repairs, so they live above
# scheduling (docs/layers.md); the paths are the same as ever.
router = DefaultRouter(trailing_slash=True)
router.include_root_view = False  # /api/ is shared by several apps
router.register("downtimes", api_shop_floor.DowntimeViewSet, basename="downtime")
router.register("operations", api_shop_floor.OperationEventViewSet, basename="operation-event")

urlpatterns: list[URLPattern | URLResolver] = [
    path("quotes/", api.QuoteListCreateView.as_view(), name="api-quotes"),
    path("quotes/<int:pk>/", api.QuoteDetailView.as_view(), name="api-quote"),
    path("quotes/<int:pk>/cancel/", api.QuoteCancelView.as_view(), name="api-quote-cancel"),
    path("quotes/<int:pk>/accept/", api.QuoteAcceptView.as_view(), name="api-quote-accept"),
    path("proposals/", api.ProposalListView.as_view(), name="api-proposals"),
    path("proposals/<int:pk>/", api.ProposalDetailView.as_view(), name="api-proposal"),
    path(
        "proposals/<int:pk>/approve/",
        api.ProposalApproveView.as_view(),
        name="api-proposal-approve",
    ),
    path(
        "proposals/<int:pk>/reject/", api.ProposalRejectView.as_view(), name="api-proposal-reject"
    ),
    path(
        "orders/<int:pk>/repromise/", api.OrderRepromiseView.as_view(), name="api-order-repromise"
    ),
    path("orders/<int:pk>/history/", api.OrderHistoryView.as_view(), name="api-order-history"),
    *router.urls,
]
