from django.urls import path

from eloket.forum import views

app_name = "forum"

urlpatterns = [
    path("forum/", views.topics, name="topics"),
    path("forum/suggestions/", views.suggestions, name="suggestions"),
    path("forum/<id:topic_id>", views.topic_page, name="topic"),
    path("forum/<id:topic_id>/post", views.post_opinion, name="post"),
    path("forum/<id:topic_id>/follow", views.follow, name="follow"),
    path("forum/<id:topic_id>/results", views.results, name="results"),
    path("forum/<id:topic_id>/attachments/<id:attachment_id>", views.attachment, name="attachment"),
    path("forum/opinions/<id:opinion_id>", views.opinion_page, name="opinion"),
    path("forum/opinions/<id:opinion_id>/act", views.opinion_act, name="opinion-act"),
]
