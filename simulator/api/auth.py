"""API tokens and privileges: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`.

Models a token with privilege separation whose effective privileges come
from one role granted on `/` with propagation (how the grader's token is
set up: `pveum acl modify / -token 'grader@pve!ro' -role PVEAuditor`), the
built-in roles that matter (PVEAuditor, PVEVMAdmin, Administrator,
NoAccess) and the 401s for a missing or wrong token. Leaves out: tickets
(`/access/ticket`), per-path ACLs below `/`, pools, and the 3 s delay
pveproxy adds after a failed login.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field

from simulator.api.errors import ApiError

AUDIT = frozenset({"VM.Audit", "VM.GuestAgent.Audit", "Sys.Audit", "Datastore.Audit", "SDN.Audit", "Pool.Audit",
                   "Mapping.Audit"})
VM_ADMIN = AUDIT | {"VM.Allocate", "VM.Migrate", "VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback",
                    "VM.Backup", "VM.Clone", "VM.Console", "VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory",
                    "VM.Config.Network", "VM.Config.Options", "VM.Config.HWType", "VM.Config.Cloudinit",
                    "VM.Config.CDROM", "Datastore.AllocateSpace"}
ADMIN = VM_ADMIN | {"Sys.Modify", "Sys.PowerMgmt", "Sys.Console", "Sys.Syslog", "Sys.Incoming",
                    "Datastore.Allocate", "Datastore.AllocateTemplate", "Permissions.Modify", "User.Modify",
                    "Realm.Allocate", "Realm.AllocateUser", "Group.Allocate", "Pool.Allocate", "SDN.Allocate",
                    "SDN.Use", "Mapping.Use", "Mapping.Modify"}
ROLES: dict[str, frozenset[str]] = {"PVEAuditor": AUDIT, "PVEVMAdmin": frozenset(VM_ADMIN),
                                    "Administrator": frozenset(ADMIN), "NoAccess": frozenset()}
TOKENID_RE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+![A-Za-z][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Token:
    """`tokenid` is `user@realm!name`; `secret` is never printed by repr()."""

    tokenid: str
    secret: str = field(repr=False)
    privileges: frozenset[str] = AUDIT

    @property
    def user(self) -> str:
        return self.tokenid.split("!", 1)[0]

    def has(self, privilege: str) -> bool:
        return privilege in self.privileges

    @property
    def audit_only(self) -> bool:
        return self.privileges <= AUDIT

    def to_json(self) -> dict[str, object]:
        return {"id": self.tokenid, "secret": self.secret, "privileges": sorted(self.privileges)}


def make_token(tokenid: str, secret: str, role: str | None = None, privileges: list[str] | None = None) -> Token:
    if not TOKENID_RE.match(tokenid):
        raise ValueError(f"invalid API token id '{tokenid}' (expected USER@REALM!NAME)")
    if not secret:
        raise ValueError(f"API token '{tokenid}' has an empty secret")
    if privileges is not None:
        return Token(tokenid, secret, frozenset(privileges))
    role = role or "PVEAuditor"
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}' (known: {', '.join(sorted(ROLES))})")
    return Token(tokenid, secret, ROLES[role])


def parse_token_spec(spec: str) -> Token:
    """`USER@REALM!NAME=SECRET[,role=ROLE]` as `simulator serve --token` takes it."""
    text, _, option = spec.partition(",")
    tokenid, sep, secret = text.partition("=")
    if not sep:
        raise ValueError("a token is USER@REALM!NAME=SECRET[,role=ROLE]")
    role = None
    if option:
        key, _, role = option.partition("=")
        if key != "role":
            raise ValueError(f"unknown token option '{key}' (only role=ROLE)")
    return make_token(tokenid, secret, role)


def authenticate(header: str | None, tokens: list[Token]) -> Token:
    """The token an Authorization header names, or ApiError 401."""
    if not header:
        raise ApiError(401, "No ticket")
    scheme, sep, value = header.strip().partition("=")
    if not sep or scheme.strip() != "PVEAPIToken":
        raise ApiError(401, "No ticket")
    tokenid, sep, secret = value.partition("=")
    if not sep:
        raise ApiError(401, "no tokenid specified")
    for token in tokens:
        if token.tokenid == tokenid and hmac.compare_digest(token.secret.encode(), secret.encode()):
            return token
    raise ApiError(401, "invalid token value!")
