"""Every table of the Percolate face, for the model registry (``tenantry.models``).

Each domain keeps its tables in its own ``models`` module; this one only gathers them.
"""

from tenantry.percolate.asset.models import Asset, Variant
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.comment.models import Comment
from tenantry.percolate.export.models import Export
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.link.models import ShortLink, ShortLinkCode
from tenantry.percolate.metadata.models import Metadata, MetadataValue
from tenantry.percolate.oauth.apikeys import ApiKey
from tenantry.percolate.oauth.models import (
    OAuthClient,
    OAuthClientDirectory,
    OAuthCode,
    OAuthGrant,
    OAuthToken,
)
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.post.models import (
    ApprovalFeedback,
    ApprovalWorkflow,
    ChannelPublisher,
    Post,
    PostRef,
)
from tenantry.percolate.role.models import RoleProfile
from tenantry.percolate.role.user_role_import.models import UserRoleImport
from tenantry.percolate.schema.models import Schema, SchemaVersion
from tenantry.percolate.term.models import Term
from tenantry.percolate.upload.models import Upload, UploadPolicy
from tenantry.percolate.webhook.models import PostWebhook, Webhook

__all__ = [
    "ApiKey",
    "ApprovalFeedback",
    "ApprovalWorkflow",
    "Asset",
    "Channel",
    "ChannelPublisher",
    "Comment",
    "Export",
    "Folder",
    "Metadata",
    "MetadataValue",
    "OAuthClient",
    "OAuthClientDirectory",
    "OAuthCode",
    "OAuthGrant",
    "OAuthToken",
    "Platform",
    "Post",
    "PostRef",
    "PostWebhook",
    "RoleProfile",
    "Schema",
    "SchemaVersion",
    "ShortLink",
    "ShortLinkCode",
    "Term",
    "Upload",
    "UploadPolicy",
    "UserRoleImport",
    "Variant",
    "Webhook",
]
