"""The certificates a municipality offers when it switches the module on (editable by its
administrator in the admin). The demo uses these too."""

from typing import Any

from eloket.certificates.models import CertificateKind as K
from eloket.certificates.models import Requester as R
from eloket.certificates.models import SubjectState as S

ALL_CHANNELS = ["download", "email", "post"]

DEFAULTS: dict[str, dict[str, Any]] = {
    K.RESIDENCE: {
        "fee_cents": 300,
        "requesters": [R.SELF, R.HOUSEHOLD, R.PARENT_OF_MINOR],
        "subject_state": S.ALIVE,
        "instant": True,
        "processing_days": 1,
    },
    K.RESIDENCE_HISTORY: {
        "fee_cents": 300,
        "requesters": [R.SELF, R.PARENT_OF_MINOR],
        "subject_state": S.ALIVE,
        "instant": True,
        "processing_days": 1,
    },
    K.HOUSEHOLD_COMPOSITION: {
        "fee_cents": 300,
        "requesters": [R.SELF, R.HOUSEHOLD],
        "subject_state": S.ALIVE,
        "instant": True,
        "processing_days": 1,
    },
    K.NATIONALITY: {
        "fee_cents": 300,
        "requesters": [R.SELF, R.PARENT_OF_MINOR],
        "subject_state": S.ALIVE,
        "instant": True,
        "processing_days": 1,
    },
    K.LIFE: {
        "fee_cents": 0,
        "requesters": [R.SELF, R.HOUSEHOLD, R.PARENT_OF_MINOR],
        "subject_state": S.ALIVE,
        "instant": True,
        "processing_days": 1,
    },
    K.BIRTH_EXTRACT: {
        "fee_cents": 500,
        "requesters": [R.SELF, R.PARENT_OF_MINOR, R.RELATIVE],
        "subject_state": S.ANY,
        "instant": False,
        "processing_days": 5,
    },
    K.MARRIAGE_EXTRACT: {
        "fee_cents": 500,
        "requesters": [R.SELF, R.RELATIVE],
        "subject_state": S.ANY,
        "instant": False,
        "processing_days": 5,
    },
    K.DEATH_EXTRACT: {
        "fee_cents": 0,
        "requesters": [R.RELATIVE],
        "subject_state": S.DECEASED,
        "instant": False,
        "processing_days": 5,
    },
}
