"""The registry of every mapped model, so metadata (and Alembic) sees all tables.

The core's models are imported here; each face names its own models modules
(``Face.model_modules``), imported when this module is.
"""

from importlib import import_module

from tenantry import faces
from tenantry.core import scopes as scopes_model
from tenantry.core import tenancy
from tenantry.core.audit import models as audit_models
from tenantry.core.base import Base
from tenantry.core.identity import models as identity_models
from tenantry.core.jobs import model as jobs_model
from tenantry.core.webhooks import model as webhooks_model

__all__ = [
    "Base",
    "audit_models",
    "identity_models",
    "jobs_model",
    "scopes_model",
    "tenancy",
    "webhooks_model",
]

for _module in faces.model_modules():
    import_module(_module)
