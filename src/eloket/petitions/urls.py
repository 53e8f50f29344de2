from django.urls import path

from eloket.petitions import views

app_name = "petitions"

urlpatterns = [
    path("petitions/", views.petitions, name="list"),
    path("petitions/<id:petition_id>", views.petition_page, name="petition"),
    path("petitions/<id:petition_id>/act", views.petition_act, name="act"),
]
