from django.urls import path

from eloket.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("language/<str:code>", views.switch_language, name="language"),
    path("<str:code>", views.verify, name="verify-code"),
]
