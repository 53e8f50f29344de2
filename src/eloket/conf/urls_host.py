"""URLs for a request that reached a municipality through its own host name: the same
citizen pages as under /<slug>/, at the root. The tenant middleware selects this."""

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
    path("", include("eloket.web.urls")),
    path("", include("eloket.identity.urls_tenant")),
    path("", include("eloket.cases.urls")),
    path("", include("eloket.services.urls")),
    path("", include("eloket.attachments.urls")),
    path("", include("eloket.certificates.urls")),
    path("", include("eloket.forum.urls")),
    path("", include("eloket.petitions.urls")),
    path("", include("eloket.inquiries.urls")),
    path("backoffice/", include("eloket.backoffice.urls")),
]

handler404 = "eloket.web.views.not_found"
handler500 = "eloket.web.views.server_error"
