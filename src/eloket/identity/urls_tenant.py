"""A municipality's login and "my" pages (under /<slug>/ or at a municipality's host)."""

from django.urls import path

from eloket.identity import views

app_name = "identity"

urlpatterns = [
    path("login/", views.login_choice, name="login"),
    path("login/oidc", views.oidc_login, name="oidc-login"),
    path("login/eid-card", views.eid_card_login, name="eid-card-login"),
    path("my/", views.my_data, name="my-data"),
    path("my/access-log", views.my_access_log, name="my-access-log"),
    path("my/security", views.my_security, name="my-security"),
]
