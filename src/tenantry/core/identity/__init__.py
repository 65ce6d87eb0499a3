"""Identity: users, passwords, roles and the permission catalogue both faces fill."""

from tenantry.core.identity.models import Role, RolePermission, User, UserRole
from tenantry.core.identity.permissions import Permission, PermissionCatalogue, catalogue

__all__ = [
    "Permission",
    "PermissionCatalogue",
    "Role",
    "RolePermission",
    "User",
    "UserRole",
    "catalogue",
]
