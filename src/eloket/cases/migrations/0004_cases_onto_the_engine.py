"""Certificate orders and petitions to answer move onto the case engine: each
municipality with such requests gets the built-in case types (version 1, the definitions
as they stood when this migration was written, frozen here), and every existing case
points to its type. Histories are kept as they are: their texts are message ids."""

from django.db import migrations

BUILTIN = {
    "certificate_order": {
        "handler": "certificates.order",
        "names": {"msgid": "certificate order"},
        "definition": {
            "statuses": [
                {"code": "submitted", "names": {"msgid": "submitted"}, "initial": True},
                {"code": "in_review", "names": {"msgid": "in review"}},
                {
                    "code": "needs_information",
                    "names": {"msgid": "needs information"},
                    "waiting_for": "requester",
                },
                {"code": "approved", "names": {"msgid": "approved"}},
                {"code": "issued", "names": {"msgid": "issued"}},
                {"code": "delivered", "names": {"msgid": "delivered"}, "final": True},
                {"code": "rejected", "names": {"msgid": "rejected"}, "final": True},
                {"code": "cancelled", "names": {"msgid": "cancelled"}, "final": True},
            ],
            "transitions": [
                {
                    "action": "take_up",
                    "from": ["submitted"],
                    "to": "in_review",
                    "by": ["system", "clerk"],
                    "texts": {"msgid": "An officer of %(municipality)s will check your request."},
                },
                {
                    "action": "approve",
                    "from": ["submitted", "in_review"],
                    "to": "approved",
                    "by": ["clerk", "system"],
                    "names": {"msgid": "Approve and issue"},
                    "texts": {"msgid": "Your request was approved."},
                },
                {
                    "action": "reject",
                    "from": ["submitted", "in_review", "needs_information"],
                    "to": "rejected",
                    "by": ["clerk"],
                    "names": {"msgid": "Reject"},
                    "texts": {"msgid": "Your request was rejected."},
                    "reason_required": True,
                },
                {
                    "action": "request_info",
                    "from": ["in_review"],
                    "to": "needs_information",
                    "by": ["clerk"],
                    "names": {"msgid": "Ask for information"},
                    "texts": {"msgid": "We need more information from you to go on."},
                    "reason_required": True,
                },
                {
                    "action": "resume",
                    "from": ["needs_information"],
                    "to": "in_review",
                    "by": ["requester", "clerk"],
                    "texts": {"msgid": "We received your answer and go on with your request."},
                },
                {
                    "action": "issue",
                    "from": ["approved"],
                    "to": "issued",
                    "by": ["system"],
                    "texts": {"msgid": "Your document %(document)s was made and sealed."},
                },
                {
                    "action": "deliver",
                    "from": ["issued"],
                    "to": "delivered",
                    "by": ["system", "clerk"],
                },
                {
                    "action": "cancel",
                    "from": ["submitted", "in_review", "needs_information"],
                    "to": "cancelled",
                    "by": ["requester"],
                    "names": {"msgid": "Cancel this request"},
                    "texts": {"msgid": "You cancelled your request."},
                },
            ],
        },
        "processing_days": 5,
    },
    "petition": {
        "handler": "petitions.answer",
        "names": {"msgid": "petition to answer"},
        "definition": {
            "statuses": [
                {"code": "submitted", "names": {"msgid": "submitted"}, "initial": True},
                {"code": "in_review", "names": {"msgid": "in review"}},
                {"code": "answered", "names": {"msgid": "answered"}, "final": True},
            ],
            "transitions": [
                {
                    "action": "take_up",
                    "from": ["submitted"],
                    "to": "in_review",
                    "by": ["system", "clerk"],
                    "texts": {"msgid": "The municipality is preparing its answer."},
                },
                {
                    "action": "answer",
                    "from": ["submitted", "in_review"],
                    "to": "answered",
                    "by": ["clerk"],
                    "names": {"msgid": "Publish the answer"},
                    "texts": {"msgid": "The municipality published its answer."},
                    "reason_required": True,
                },
            ],
        },
        "processing_days": 90,
    },
}


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseType = apps.get_model("cases", "CaseType")
    pairs = Case.objects.values_list("municipality_id", "kind").distinct()
    for municipality_id, kind in pairs:
        spec = BUILTIN.get(kind)
        if spec is None:
            raise RuntimeError(f"cases of an unknown kind {kind!r}: migrate them by hand")
        case_type, _created = CaseType.objects.get_or_create(
            municipality_id=municipality_id,
            code=kind,
            version=1,
            defaults={
                "current": True,
                "handler": spec["handler"],
                "names": spec["names"],
                "definition": spec["definition"],
                "processing_days": spec["processing_days"],
            },
        )
        Case.objects.filter(municipality_id=municipality_id, kind=kind).update(case_type=case_type)


def backwards(apps, schema_editor):
    apps.get_model("cases", "Case").objects.update(case_type=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_types")]

    operations = [migrations.RunPython(forwards, backwards)]
