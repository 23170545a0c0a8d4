"""URL map. Each app owns its page routes (`<app>/urls.py`) and its API routes
(`<app>/api_urls.py`); authentication and the OpenAPI schema live here."""

from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from orders.api import TokenObtainView, TokenRevokeView

# Swagger UI's files come from its distribution site (settings: SWAGGER_UI_DIST); the split view
# serves its start-up script as a file, so the page needs no inline script. Only this page may
# load from there; its own small <style> block needs inline styles.
_swagger = urlsplit(spectacular_settings.SWAGGER_UI_DIST)
_swagger_origin = f"{_swagger.scheme}://{_swagger.netloc}" if _swagger.netloc else "'self'"
api_docs = csp_update(
    {
        "script-src": [_swagger_origin],
        "style-src": [_swagger_origin, "'unsafe-inline'"],
        "img-src": [_swagger_origin],
    }
)(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("api/auth/logout/", TokenRevokeView.as_view(), name="api-logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("api/", include("orders.api_urls")),
    path("api/", include("scheduling.api_urls")),
    path("api/", include("quoting.api_urls")),
    path("", include("orders.urls")),
    path("", include("scheduling.urls")),
    path("", include("quoting.urls")),
]

# A lost database connection outside a view (loading the signed-in user) answers 503 too; the
# API answers JSON even where no route matches.
handler500 = "orders.outage.server_error"
handler404 = "orders.outage.page_not_found"
