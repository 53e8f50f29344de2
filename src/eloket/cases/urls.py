from django.urls import path

from eloket.cases import views

app_name = "cases"

urlpatterns = [
    path("my/requests", views.my_requests, name="my-requests"),
    path("ask/<slug:kind>", views.request_start, name="ask"),
    path("requests/<str:code>", views.request_page, name="request"),
    path("requests/<str:code>/act", views.request_act, name="request-act"),
    path(
        "requests/<str:code>/documents/<str:document>.pdf",
        views.request_document,
        name="request-document",
    ),
]
