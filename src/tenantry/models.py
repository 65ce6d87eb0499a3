"""The registry of every mapped model, so metadata (and Alembic) sees all tables.

Each domain keeps its models next to its code; add its models module here.
"""

from tenantry.core import scopes as scopes_model
from tenantry.core import tenancy
from tenantry.core.base import Base
from tenantry.core.identity import models as identity_models
from tenantry.core.jobs import model as jobs_model
from tenantry.core.webhooks import model as webhooks_model
from tenantry.percolate import models as percolate_models
from tenantry.perscom import models as perscom_models

__all__ = [
    "Base",
    "identity_models",
    "jobs_model",
    "percolate_models",
    "perscom_models",
    "scopes_model",
    "tenancy",
    "webhooks_model",
]
