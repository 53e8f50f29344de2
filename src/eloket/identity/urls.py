"""Platform-level identity URLs under /auth/ (served on every host)."""

from django.urls import path

from eloket.identity import views

app_name = "auth"

urlpatterns = [
    path("oidc/callback", views.oidc_callback, name="oidc-callback"),
    path("logout", views.logout_view, name="logout"),
    path("logout-everywhere", views.logout_everywhere, name="logout-everywhere"),
    path("officer/login", views.officer_login, name="officer-login"),
    path("officer/code", views.officer_code, name="officer-code"),
    path("officer/enrol", views.officer_enrol, name="officer-enrol"),
]
