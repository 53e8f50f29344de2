"""Writes of certificates, one module per concern:

- `types`: the certificates a municipality offers (set up when the module is switched on);
- `ordering`: placing an order (checked, idempotent);
- `processing`: what follows submission (instant issue or the officers' queue) and issue
  (the sealed document, then delivery through its channel);
- `decisions`: officers' decisions, the citizen's answers and cancellation, taking orders;
- `postal`: the print batch of postal deliveries.

Submission commits the order and its first step together; everything after it runs from
the outbox (`cases.delivery`), so a crash at any step loses no submitted order.
"""

from eloket.certificates.services.decisions import (
    Decision,
    order_cancel,
    order_claim,
    order_decide,
    order_reply,
)
from eloket.certificates.services.ordering import OrderRequest, check_order, order_submit
from eloket.certificates.services.postal import postal_batch, postal_mark_sent
from eloket.certificates.services.types import certificate_types_ensure

__all__ = [
    "Decision",
    "OrderRequest",
    "certificate_types_ensure",
    "check_order",
    "order_cancel",
    "order_claim",
    "order_decide",
    "order_reply",
    "order_submit",
    "postal_batch",
    "postal_mark_sent",
]
