from django.urls import path

from eloket.backoffice import (
    approval_views,
    case_views,
    filing_views,
    forum_views,
    message_views,
    outbox_views,
    petition_views,
    views,
)

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.person_lookup, name="person-lookup"),
    path("requests/", case_views.requests, name="requests"),
    path("approvals/", approval_views.approvals, name="approvals"),
    path("requests/new", filing_views.request_new, name="request-new"),
    path("requests/<str:code>", case_views.request_detail, name="request"),
    path("requests/<str:code>/act", case_views.request_act, name="request-act"),
    path(
        "requests/<str:code>/draft-decision.pdf",
        case_views.request_draft_decision,
        name="request-draft-decision",
    ),
    path(
        "requests/<str:code>/objection-files/<str:public_id>",
        case_views.request_objection_file,
        name="request-objection-file",
    ),
    path(
        "requests/<str:code>/neighbour-letters.pdf",
        case_views.request_neighbour_letters,
        name="request-neighbour-letters",
    ),
    path(
        "requests/<str:code>/documents/<str:document>.pdf",
        case_views.request_document,
        name="request-document",
    ),
    path("orders/", case_views.orders, name="orders"),
    path("orders/<str:code>", case_views.order_detail, name="order"),
    path("orders/<str:code>/act", case_views.order_act, name="order-act"),
    path("orders/<str:code>/document.pdf", case_views.order_document, name="order-document"),
    path("post/", case_views.postal, name="postal"),
    path("petitions/", petition_views.petitions, name="petitions"),
    path("petitions/<id:petition_id>", petition_views.petition_detail, name="petition"),
    path("outbox/", outbox_views.outbox, name="outbox"),
    path("registry-messages/", message_views.registry_messages, name="registry-messages"),
    path(
        "registry-messages/<id:message_id>",
        message_views.registry_message,
        name="registry-message",
    ),
    path("forum/", forum_views.forum_home, name="forum"),
    path("forum/<id:topic_id>", forum_views.forum_topic, name="forum-topic"),
    path("forum/<id:topic_id>/act", forum_views.forum_act, name="forum-act"),
    path("forum/<id:topic_id>/analysis", forum_views.forum_analysis, name="forum-analysis"),
    path("forum/<id:topic_id>/export", forum_views.forum_export, name="forum-export"),
]
