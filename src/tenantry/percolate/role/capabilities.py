"""Percolate's capability codes (reference §1.7) and the built-in roles of ``builtin_scope:system``.

One catalogue of every capability the face uses, registered in the core permission catalogue
(so the tenant ``admin`` preset holds them all and ``member`` the read-only ones). Codes the
reference does not list but this face checks are marked as Tenantry additions.
"""

from __future__ import annotations

from tenantry.core.identity.permissions import Permission

__all__ = ["BUILTIN_ROLES", "CAPABILITIES", "PERMISSIONS", "BuiltinRole"]

_READ = {
    "approval:post:read",
    "approval:pool:read",
    "export:read",
    "folders:read",
    "license:read",
    "license_channel:read",
    "media:read",
    "post:read",
    "preference:read",
    "role:read",
    "saved_search:read",
    "schema:read",
    "share:read",
    "task:read",
    "trashcan:read",
    "user:read",
    "webhook:read",
    "platform:read",
    "term:read",
    "view:asset_library",
}

CAPABILITIES: dict[str, str] = {
    "asset:upload": "Upload assets.",
    "media:create": "Create media.",
    "media:read": "See media.",
    "media:update": "Change media.",
    "media:delete": "Delete media.",
    "media:download": "Download media.",
    "media:restore": "Restore media from the trash can.",
    "media:add-asset": "Add assets to media.",
    "media:metadata:update": "Change media metadata.",
    "folders:create": "Create folders.",
    "folders:read": "See folders.",
    "folders:delete": "Delete folders.",
    "folders:metadata:update": "Change folder metadata.",
    "trashcan:read": "See the trash can.",
    "post:create": "Create posts.",
    "post:read": "See posts.",
    "post:update": "Change posts.",
    "post:delete": "Delete posts.",
    "post:publish": "Publish posts, bypassing approvals.",
    "post:submit-for-approval": "Submit posts for approval.",
    "approval:post:approve": "Approve posts.",
    "approval:post:read": "See post approvals.",
    "approval:pool:create": "Create approval pools.",
    "approval:pool:read": "See approval pools.",
    "approval:pool:update": "Change approval pools.",
    "approval:pool:delete": "Delete approval pools.",
    "comment:manage": "Manage everyone's comments.",
    "export:read": "Export data.",
    "platform:manage": "Create and change custom platforms.",
    "platform:read": "See platforms (Tenantry addition).",
    "license_channel:create": "Create channels.",
    "license_channel:read": "See channels.",
    "license_channel:update": "Change channels.",
    "license_channel:delete": "Delete channels.",
    "schema:read": "See schemas.",
    "schema:manage": "Create and change schemas.",
    "term:create": "Create terms.",
    "term:read": "See terms (Tenantry addition).",
    "term:update": "Change terms.",
    "term:delete": "Delete terms.",
    "role:read": "See roles.",
    "role:manage": "Create, change and delete custom roles.",
    "user:create": "Create users.",
    "user:read": "See users and their roles.",
    "user:update": "Change users and grant or revoke their roles.",
    "user:delete": "Disable users.",
    "user:search": "Search users.",
    "webhook:read": "See webhooks.",
    "webhook:manage": "Manage webhooks.",
    "share:create": "Share.",
    "share:read": "See shares.",
    "share:delete": "Delete shares.",
    "task:create": "Create tasks.",
    "task:read": "See tasks.",
    "task:update": "Change tasks.",
    "task:delete": "Delete tasks.",
    "preference:read": "See preferences.",
    "preference:update": "Change preferences.",
    "license:read": "See licenses, brands and license groups.",
    "license:update": "Create and change licenses, brands and license groups.",
    "publishing:pause": "Pause publishing.",
    "saved_search:read": "See saved searches.",
    "view:asset_library": "Open the asset library.",
}

PERMISSIONS = tuple(
    Permission(code, face="percolate", description=text, read_only=code in _READ)
    for code, text in CAPABILITIES.items()
)

_ADMIN_ONLY = {
    "user:create",
    "user:read",
    "user:update",
    "user:delete",
    "user:search",
    "role:manage",
    "schema:manage",
    "platform:manage",
    "webhook:manage",
    "comment:manage",
    "trashcan:read",
    "media:restore",
    "license:update",
}
_LICENSE_ADMIN = frozenset(CAPABILITIES)
_COMMUNITY_MANAGER = _LICENSE_ADMIN - _ADMIN_ONLY
_APPROVEE = _COMMUNITY_MANAGER - {"post:publish", "approval:post:approve", "media:add-asset"}
_PAM = frozenset(
    {
        "folders:read",
        "media:download",
        "media:read",
        "preference:read",
        "preference:update",
        "saved_search:read",
        "share:create",
        "view:asset_library",
    }
)


class BuiltinRole:
    """A role every account has, owned by ``builtin_scope:system`` and read-only."""

    def __init__(self, code: str, name: str, description: str, capabilities: frozenset[str]):
        self.code = code
        self.name = name
        self.description = description
        self.capabilities = capabilities


BUILTIN_ROLES = (
    BuiltinRole(
        "license-admin",
        "License Admin",
        "Everything in a license, including its users and roles.",
        _LICENSE_ADMIN,
    ),
    BuiltinRole(
        "community-manager",
        "Community Manager",
        "Creates, publishes and approves content.",
        _COMMUNITY_MANAGER,
    ),
    BuiltinRole(
        "approvee-community-manager",
        "Approvee Community Manager",
        "A community manager whose posts need approval.",
        _APPROVEE,
    ),
    BuiltinRole(
        "pam-download-share",
        "PAM Download & Share",
        "Browse, download and share the asset library.",
        _PAM,
    ),
)
