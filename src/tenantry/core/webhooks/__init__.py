"""Outgoing webhooks: the one delivery core both faces use.

- :func:`check_destination` when a URL is registered (SSRF guard; 400 keyed ``url``);
- :func:`enqueue_delivery` in the transaction of the write that causes the delivery;
- the ``core.webhooks.deliver`` job signs (:mod:`.signing`), re-checks the destination,
  pins the connection to the checked address, POSTs, logs each attempt
  (:class:`WebhookDelivery`) and retries through the job system's backoff;
- :data:`delivery_hooks` let a producer react to a delivery's final outcome in the job's
  transaction; :func:`replay` sends a logged request again;
- :func:`verify_signature` is what a receiver (or a test) checks a request with
  (:func:`verify_body_signature` for the vendor-style :class:`SigningScheme`).

Workers must import :mod:`tenantry.core.webhooks.delivery` to run deliveries.
"""

from tenantry.core.webhooks.delivery import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT_SECONDS,
    DELIVERY_JOB,
    METHODS,
    AttemptResult,
    CompletionHookFailed,
    DeliveryFailed,
    enqueue_delivery,
    replay,
    send_attempt,
)
from tenantry.core.webhooks.destinations import (
    Destination,
    DestinationRefused,
    DestinationUnresolved,
    check_destination,
    refusal_reason,
    resolve_destination,
)
from tenantry.core.webhooks.hooks import (
    CompletionHook,
    DeliveryCompleted,
    DeliveryHooks,
    delivery_hooks,
)
from tenantry.core.webhooks.log import get_delivery, list_deliveries
from tenantry.core.webhooks.model import AttemptOutcome, WebhookDelivery
from tenantry.core.webhooks.signing import (
    BODY_SIGNATURE_HEADER,
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SigningScheme,
    body_signature,
    sign,
    signature_headers,
    verify_body_signature,
    verify_signature,
)

__all__ = [
    "BODY_SIGNATURE_HEADER",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT_SECONDS",
    "DELIVERY_HEADER",
    "DELIVERY_JOB",
    "EVENT_HEADER",
    "METHODS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AttemptOutcome",
    "AttemptResult",
    "CompletionHook",
    "CompletionHookFailed",
    "DeliveryCompleted",
    "DeliveryFailed",
    "DeliveryHooks",
    "Destination",
    "DestinationRefused",
    "DestinationUnresolved",
    "SigningScheme",
    "WebhookDelivery",
    "body_signature",
    "check_destination",
    "delivery_hooks",
    "enqueue_delivery",
    "get_delivery",
    "list_deliveries",
    "refusal_reason",
    "replay",
    "resolve_destination",
    "send_attempt",
    "sign",
    "signature_headers",
    "verify_body_signature",
    "verify_signature",
]
