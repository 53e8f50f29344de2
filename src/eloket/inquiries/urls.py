from django.urls import path

from eloket.inquiries import views

app_name = "inquiries"

urlpatterns = [
    path("inquiries/", views.inquiries, name="list"),
    path("inquiries/<id:inquiry_id>", views.inquiry_page, name="inquiry"),
    path("inquiries/<id:inquiry_id>/act", views.inquiry_act, name="act"),
    path("inquiries/<id:inquiry_id>/receipt.pdf", views.objection_receipt, name="receipt"),
    path(
        "inquiries/<id:inquiry_id>/documents/<str:public_id>",
        views.notice_file,
        name="document",
    ),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions/<str:code>.pdf", views.decision_pdf, name="decision"),
]
