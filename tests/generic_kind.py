"""A kind of request made from data alone (issue 9's generic handler): statuses and
transitions, no form, no code. The browser test publishes it for Gent, whose demo offers
services with forms instead."""

from typing import Any

QUESTION_TO_THE_CITY: dict[str, Any] = {
    "names": {
        "nl": "Een vraag aan de stad",
        "en": "A question to the city",
        "fr": "Une question à la ville",
        "de": "Eine Frage an die Stadt",
    },
    "definition": {
        "statuses": [
            {
                "code": "received",
                "names": {"nl": "ontvangen", "en": "received", "fr": "reçue", "de": "eingegangen"},
                "initial": True,
                "texts": {
                    "nl": "We ontvingen uw vraag.",
                    "en": "We received your question.",
                    "fr": "Nous avons reçu votre question.",
                    "de": "Wir haben Ihre Frage erhalten.",
                },
            },
            {
                "code": "looking",
                "names": {
                    "nl": "wordt opgezocht",
                    "en": "being looked up",
                    "fr": "en recherche",
                    "de": "wird nachgeschlagen",
                },
            },
            {
                "code": "question",
                "names": {
                    "nl": "vraag aan u",
                    "en": "question for you",
                    "fr": "question pour vous",
                    "de": "Rückfrage an Sie",
                },
                "waiting_for": "requester",
            },
            {
                "code": "answered",
                "names": {
                    "nl": "beantwoord",
                    "en": "answered",
                    "fr": "répondue",
                    "de": "beantwortet",
                },
                "final": True,
            },
            {
                "code": "withdrawn",
                "names": {
                    "nl": "ingetrokken",
                    "en": "withdrawn",
                    "fr": "retirée",
                    "de": "zurückgezogen",
                },
                "final": True,
            },
        ],
        "transitions": [
            {
                "action": "look_up",
                "from": ["received"],
                "to": "looking",
                "by": ["clerk"],
                "names": {
                    "nl": "Opzoeken",
                    "en": "Look it up",
                    "fr": "Rechercher",
                    "de": "Nachschlagen",
                },
                "texts": {
                    "nl": "Een ambtenaar zoekt het op.",
                    "en": "An officer looks it up.",
                    "fr": "Un agent fait la recherche.",
                    "de": "Eine Sachbearbeiterin schlägt es nach.",
                },
            },
            {
                "action": "ask",
                "from": ["looking"],
                "to": "question",
                "by": ["clerk"],
                "reason_required": True,
                "names": {
                    "nl": "Vraag stellen",
                    "en": "Ask a question",
                    "fr": "Poser une question",
                    "de": "Rückfrage stellen",
                },
            },
            {
                "action": "reply",
                "from": ["question"],
                "to": "looking",
                "by": ["requester"],
                "names": {"nl": "Antwoorden", "en": "Reply", "fr": "Répondre", "de": "Antworten"},
            },
            {
                "action": "answer",
                "from": ["looking"],
                "to": "answered",
                "by": ["clerk"],
                "reason_required": True,
                "names": {
                    "nl": "Antwoord versturen",
                    "en": "Send the answer",
                    "fr": "Envoyer la réponse",
                    "de": "Antwort senden",
                },
            },
            {
                "action": "withdraw",
                "from": ["received", "looking", "question"],
                "to": "withdrawn",
                "by": ["requester"],
                "names": {
                    "nl": "Intrekken",
                    "en": "Withdraw",
                    "fr": "Retirer",
                    "de": "Zurückziehen",
                },
            },
        ],
    },
}
