"""Roles and what each may do (1.2), including the separation of the three administrator roles (三员分离):
the system administrator runs accounts, institutions and the dictionary but cannot grant permissions or read
retirees; the security administrator grants roles and nothing else; the auditor reads the audit trail and nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from domain.institutions.models import Level
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, Forbidden, NotFound


class Role(StrEnum):
    OPERATOR = "operator"  # 经办员: business commands and queries in the own subtree
    VIEWER = "viewer"  # 查询员: queries only
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDITOR = "auditor"


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
ROLE_LABELS = {
    Role.OPERATOR: "经办员",
    Role.VIEWER: "查询员",
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDITOR: "安全审计员",
}


class Permission(StrEnum):
    READ_REGISTRY = "registry.read"
    CHANGE_REGISTRY = "registry.change"
    MANAGE_INSTITUTIONS = "institutions.manage"
    MANAGE_ACCOUNTS = "accounts.manage"
    GRANT_ROLES = "roles.grant"
    MANAGE_DICTIONARY = "dictionary.manage"
    READ_DICTIONARY = "dictionary.read"
    READ_AUDIT = "audit.read"
    EXPORT_UNMASKED = "export.unmasked"  # issue 18/19: full ID and phone numbers in an export (city/district only)


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(
        {
            Permission.READ_REGISTRY,
            Permission.CHANGE_REGISTRY,
            Permission.MANAGE_INSTITUTIONS,
            Permission.READ_DICTIONARY,
            Permission.EXPORT_UNMASKED,
        }
    ),
    Role.VIEWER: frozenset({Permission.READ_REGISTRY, Permission.READ_DICTIONARY}),
    Role.SYSTEM_ADMIN: frozenset(
        {
            Permission.MANAGE_ACCOUNTS,
            Permission.MANAGE_INSTITUTIONS,
            Permission.MANAGE_DICTIONARY,
            Permission.READ_DICTIONARY,
        }
    ),
    Role.SECURITY_ADMIN: frozenset({Permission.GRANT_ROLES}),
    Role.AUDITOR: frozenset({Permission.READ_AUDIT}),
}

# The administrator roles exist at the city level only; business roles at every level.
LEVELS_FOR_ROLE: dict[Role, frozenset[Level]] = {
    Role.OPERATOR: frozenset(Level),
    Role.VIEWER: frozenset(Level),
    Role.SYSTEM_ADMIN: frozenset({Level.CITY}),
    Role.SECURITY_ADMIN: frozenset({Level.CITY}),
    Role.AUDITOR: frozenset({Level.CITY}),
}


def can(actor: Actor, permission: Permission) -> bool:
    if actor.kind == "system":
        return True
    if actor.role is None or actor.role not in Role.__members__.values():
        return False
    return permission in PERMISSIONS[Role(actor.role)]


def require(actor: Actor, permission: Permission) -> None:
    if not can(actor, permission):
        role = ROLE_LABELS.get(Role(actor.role), actor.role) if actor.role in set(Role) else "未授权"
        raise Forbidden(ErrorCode.PERMISSION_DENIED, f"当前角色（{role}）无权执行此操作", permission=permission.value)


def require_in_scope(actor: Actor, path: str | None, what: str = "记录") -> None:
    """Refuse anything outside the actor's own subtree with the same answer as a record that does not exist, so
    that probing other communities' numbers tells nothing."""
    if not actor.covers(path):
        raise NotFound(ErrorCode.NOT_FOUND, f"未找到该{what}，或不在本机构管辖范围内")


def require_any(actor: Actor, *permissions: Permission) -> None:
    if not any(can(actor, permission) for permission in permissions):
        require(actor, permissions[0])
