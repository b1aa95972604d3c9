"""Who may see and do what: the one place authorization is decided.

Routes declare a `Rule` (which roles may call them at all); services scope what a
viewer sees with the predicates below, so a manager asking for another region's
store or audit gets the same 404 as for one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.storage.models import Role

ROLES = tuple(Role)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as every service that scopes data needs them."""

    id: int
    email: str
    name: str
    role: str
    region_ids: frozenset[int] = field(default_factory=frozenset)
    session_token: str = field(default="", repr=False)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    def sees_region(self, region_id: int) -> bool:
        """Owners see every region, managers their own, shoppers none (no league tables)."""
        return self.is_owner or (self.role == Role.MANAGER and region_id in self.region_ids)

    def sees_audit(self, region_id: int, shopper_id: int | None) -> bool:
        """Staff of the region see its audits; a shopper sees only the audits they submitted."""
        if self.role == Role.SHOPPER:
            return shopper_id == self.id
        return self.sees_region(region_id)


@dataclass(frozen=True)
class Rule:
    """Who may call a route at all; `None` roles means anyone, signed in or not."""

    name: str
    roles: frozenset[str] | None

    def allows(self, viewer: Viewer | None) -> bool:
        if self.roles is None:
            return True
        return viewer is not None and viewer.role in self.roles


PUBLIC = Rule("anyone", None)
SIGNED_IN = Rule("anyone signed in", frozenset(ROLES))
STAFF = Rule("owners and managers", frozenset({Role.OWNER, Role.MANAGER}))
OWNER = Rule("owners", frozenset({Role.OWNER}))
SHOPPERS = Rule("shoppers", frozenset({Role.SHOPPER}))
SUBMITTERS = Rule("shoppers and owners", frozenset({Role.SHOPPER, Role.OWNER}))
