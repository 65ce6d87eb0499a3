"""PERSCOM webhooks: a tenant's receivers and the events the engine's writes announce.

Configuration is Tenantry's addition (PERSCOM has no API for it): ``/v1/webhooks`` and
``tenantry perscom webhook``. Delivery is the core's (:mod:`tenantry.core.webhooks`), in
PERSCOM's conventions: a ``Signature`` header with the hex HMAC-SHA256 of the JSON payload,
``GET`` or ``POST``, 3 s timeout, 3 tries.
"""
