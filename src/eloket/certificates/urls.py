from django.urls import path

from eloket.certificates import views

app_name = "certificates"

urlpatterns = [
    path("certificates/<slug:kind>/order", views.order_form, name="order-form"),
    path("orders/<str:code>", views.order_page, name="order"),
    path("orders/<str:code>/act", views.order_action, name="order-action"),
    path("orders/<str:code>/document.pdf", views.order_download, name="order-document"),
    path("my/orders", views.my_orders, name="my-orders"),
]
