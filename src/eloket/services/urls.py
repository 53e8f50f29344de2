from django.urls import path

from eloket.services import views

app_name = "services"

# A step's name is a lowercase word with underscores (the definition's schema), so the
# wizard's own pages (hyphenated, or reserved: "check") never meet a step.
urlpatterns = [
    path("services/<slug:code>", views.start, name="start"),
    path("services/<slug:code>/sent/<str:tracking_code>", views.sent, name="sent"),
    path("services/<slug:code>/d/<uuid:token>", views.resume, name="resume"),
    path("services/<slug:code>/d/<uuid:token>/for-whom", views.for_whom, name="for-whom"),
    path("services/<slug:code>/d/<uuid:token>/check", views.check, name="check"),
    path("services/<slug:code>/d/<uuid:token>/delete-draft", views.delete, name="delete"),
    path("services/<slug:code>/d/<uuid:token>/<slug:step>", views.step_page, name="step"),
]
