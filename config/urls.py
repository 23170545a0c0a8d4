"""URL map. Each app owns its page routes (`<app>/urls.py`) and its API routes
(`<app>/api_urls.py`); authentication and the OpenAPI schema live here."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("api/", include("orders.api_urls")),
    path("api/", include("scheduling.api_urls")),
    path("api/", include("quoting.api_urls")),
    path("", include("orders.urls")),
    path("", include("scheduling.urls")),
    path("", include("quoting.urls")),
]
