from django.urls import path

from eloket.backoffice import forum_views, views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.person_lookup, name="person-lookup"),
    path("orders/", views.orders, name="orders"),
    path("orders/<str:code>", views.order_detail, name="order"),
    path("orders/<str:code>/act", views.order_act, name="order-act"),
    path("orders/<str:code>/document.pdf", views.order_document, name="order-document"),
    path("post/", views.postal, name="postal"),
    path("forum/", forum_views.forum_home, name="forum"),
    path("forum/<int:topic_id>", forum_views.forum_topic, name="forum-topic"),
    path("forum/<int:topic_id>/act", forum_views.forum_act, name="forum-act"),
    path("forum/<int:topic_id>/analysis", forum_views.forum_analysis, name="forum-analysis"),
    path("forum/<int:topic_id>/export", forum_views.forum_export, name="forum-export"),
]
