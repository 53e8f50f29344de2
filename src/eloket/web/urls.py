from django.urls import path

from eloket.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("services/", views.catalogue, name="catalogue"),
    path("language/<str:code>", views.switch_language, name="language"),
    path("theme.css", views.theme_css, name="theme"),
    path("logo", views.logo, name="logo"),
]
