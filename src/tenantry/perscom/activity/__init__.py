"""The API log: every ``/v1`` and ``/v2`` exchange stored as the tenant's ``api`` activity.

Recorded by :mod:`.recorder` (an ASGI middleware: what was asked, what was answered, how
long it took, with secrets masked and bodies capped), written in batches off the request
path (:mod:`.writer`), listed through ``/v1/activity`` and ``tenantry perscom activity``,
and pruned after the retention period by a job (:mod:`.prune`).
"""
