"""Who may see and do what: the one place authorization is decided.

Routes declare a `Rule` (which roles may call them at all); services scope what a
viewer sees with the predicates below, so a manager asking for another region's
store or audit gets the same 404 as for one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("owner", "manager", "shopper")


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
        return self.role == "owner"

    def sees_region(self, region_id: int) -> bool:
        """Owners see every region, managers their own, shoppers none (no league tables)."""
        return self.is_owner or (self.role == "manager" and region_id in self.region_ids)

    def sees_audit(self, region_id: int, shopper_id: int | None) -> bool:
        """Staff of the region see its audits; a shopper sees only the audits they submitted."""
        if self.role == "shopper":
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
STAFF = Rule("owners and managers", frozenset({"owner", "manager"}))
OWNER = Rule("owners", frozenset({"owner"}))
SHOPPERS = Rule("shoppers", frozenset({"shopper"}))
SUBMITTERS = Rule("shoppers and owners", frozenset({"shopper", "owner"}))
