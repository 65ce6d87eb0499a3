"""Posts associated with webhooks: ``/api/v5/postwebhook/`` (reference §3.10)."""
