from django.urls import path

from eloket.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.person_lookup, name="person-lookup"),
    path("orders/", views.orders, name="orders"),
    path("orders/<str:code>", views.order_detail, name="order"),
    path("orders/<str:code>/act", views.order_act, name="order-act"),
    path("orders/<str:code>/document.pdf", views.order_document, name="order-document"),
    path("post/", views.postal, name="postal"),
]
