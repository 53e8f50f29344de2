from django.contrib import admin
from django.urls import include, path

from eloket.api import views as api_views
from eloket.api.api import api
from eloket.ops import views as ops_views
from eloket.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    # Browsers ask for /favicon.ico on pages that do not name one (the demo provider's).
    path("favicon.ico", web_views.favicon),
    # The snippet sites paste to show a municipality's page in a frame (docs/embedding.md).
    path("embed.js", web_views.embed_js, name="embed-js"),
    path("api/v1/docs", api_views.docs, name="api-docs"),
    path("api/v1/", api.urls),
    path("auth/", include("eloket.identity.urls")),
    path("oidc/", include("eloket.demo.urls_idp")),
    path("verify/", include("eloket.documents.urls")),
    path("admin/", admin.site.urls),
    path("", web_views.platform_home, name="platform-home"),
    # No two of these apps' patterns match one path (each starts with its own word), so
    # their order is only the order they are tried in: the pages read most first, as
    # every pattern tried before the right one costs each request (issue 11).
    path("<slug:municipality>/", include("eloket.web.urls")),
    path("<slug:municipality>/", include("eloket.forum.urls")),
    path("<slug:municipality>/", include("eloket.certificates.urls")),
    path("<slug:municipality>/", include("eloket.petitions.urls")),
    path("<slug:municipality>/", include("eloket.services.urls")),
    path("<slug:municipality>/", include("eloket.inquiries.urls")),
    path("<slug:municipality>/", include("eloket.cases.urls")),
    path("<slug:municipality>/", include("eloket.identity.urls_tenant")),
    path("<slug:municipality>/", include("eloket.attachments.urls")),
    path("<slug:municipality>/backoffice/", include("eloket.backoffice.urls")),
]

handler404 = "eloket.web.views.not_found"
handler500 = "eloket.web.views.server_error"
