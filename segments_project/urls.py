from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from catalog.api.urls import category_urlpatterns, product_urlpatterns
from segments_project.api import exceptions
from segments_project.api.anonymous_views import AnonymousLoginView, AnonymousRefreshView
from segments_project.api.fallback import unknown_api_path
from segments_project.browser_middleware import API_SERVICES
from segments_project.favicon import favicon
from segments_project.tenancy.views import TenantTokenView

urlpatterns = [
    path("oauth/token", TenantTokenView.as_view(), name="oauth-token"),
    path(
        "customerlogin/auth/anonymous/login",
        AnonymousLoginView.as_view(),
        name="anonymous-login",
    ),
    path(
        "customerlogin/auth/anonymous/refresh",
        AnonymousRefreshView.as_view(),
        name="anonymous-refresh",
    ),
    path("customer-segment/<str:tenant>/", include("segments.api.urls")),
    path("category/<str:tenant>/", include(category_urlpatterns)),
    path("product/<str:tenant>/", include(product_urlpatterns)),
    path("customer/<str:tenant>/", include("segments.api.directory_urls")),
    path("coupon/<str:tenant>/", include("coupons.api.urls")),
    path("webhook/<str:tenant>/", include("webhooks.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    re_path(rf"^(?:{'|'.join(API_SERVICES)})/", unknown_api_path),
]

handler400 = exceptions.handler400
handler403 = exceptions.handler403
handler404 = exceptions.handler404
handler500 = exceptions.handler500
