"""``/api/v5/audit_log/`` (a Tenantry addition): the account's audit log."""
