from django.urls import path

from eloket.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.person_lookup, name="person-lookup"),
]
