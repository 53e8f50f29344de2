from django.urls import path

from eloket.attachments import views

app_name = "attachments"

urlpatterns = [
    path("requests/<str:code>/files/<uuid:file_id>", views.citizen_file, name="file"),
    path(
        "backoffice/requests/<str:code>/files/<uuid:file_id>",
        views.officer_file,
        name="officer-file",
    ),
]
