"""The demo identity provider at /oidc/ (answers only in demo mode)."""

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from oauth2_provider import views as dot

from eloket.demo import views as demo_views
from eloket.identity.providers.demo_idp import DemoAuthorizationView, demo_only

app_name = "oauth2_provider"


def demo(view):  # type: ignore[no-untyped-def]
    # wraps() keeps the view's attributes: DOT's token endpoint is csrf_exempt.
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        demo_only()
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("pick", demo_views.pick, name="demo-pick"),
    path("authorize/", DemoAuthorizationView.as_view(), name="authorize"),
    path("token/", demo(dot.TokenView.as_view()), name="token"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        demo(dot.ConnectDiscoveryInfoView.as_view()),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", demo(dot.JwksInfoView.as_view()), name="jwks-info"),
    path("userinfo/", demo(dot.UserInfoView.as_view()), name="user-info"),
]
