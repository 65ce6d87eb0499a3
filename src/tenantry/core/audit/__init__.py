"""The audit log: who changed what in a tenant, chained by hash so tampering shows.

Every writing transaction of a tenant (either face, the web pages, the CLI, jobs) leaves one
entry, written in that same transaction by :mod:`.capture`; :mod:`.chain` links the entries
of a tenant, :mod:`.query` reads them, :mod:`.retention` prunes old ones behind a checkpoint.
"""

from tenantry.core.audit import capture as _capture  # noqa: F401  (registers the events)
from tenantry.core.audit.actor import Actor, act_as, actor_of_principal
from tenantry.core.audit.capture import note
from tenantry.core.audit.models import AuditEntry, AuditHead

__all__ = ["Actor", "AuditEntry", "AuditHead", "act_as", "actor_of_principal", "note"]
