"""Who may see and do what: the one place authorization is decided.

Routes declare a `Rule` (which roles may call them at all); services scope what a
viewer sees with the predicates below, so a manager asking for another region's
store or audit gets the same 404 as for one that does not exist. A store's manager
(`Role.STORE`) is refused with a 404 rather than a 403 wherever a rule leaves them out:
to them the rest of the company does not exist.
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
    store_ids: frozenset[int] = field(default_factory=frozenset)  # a store manager's stores
    session_token: str = field(default="", repr=False)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_store_manager(self) -> bool:
        return self.role == Role.STORE

    def sees_region(self, region_id: int) -> bool:
        """Owners see every region, managers their own; shoppers and store managers none
        (no league tables)."""
        return self.is_owner or (self.role == Role.MANAGER and region_id in self.region_ids)

    def sees_store(self, store_id: int, region_id: int) -> bool:
        """The region's staff, and the store's own managers."""
        return self.sees_region(region_id) or (self.role == Role.STORE and store_id in self.store_ids)

    def sees_audit(self, store_id: int, region_id: int, shopper_id: int | None) -> bool:
        """Staff of the region and the store's managers (its copy only) see its audits; a
        shopper sees only the audits they submitted."""
        if self.role == Role.SHOPPER:
            return shopper_id == self.id
        return self.sees_store(store_id, region_id)


@dataclass(frozen=True)
class Rule:
    """Who may call a route at all; `None` roles means anyone, signed in or not."""

    name: str
    roles: frozenset[str] | None

    def allows(self, viewer: Viewer | None) -> bool:
        if self.roles is None:
            return True
        return viewer is not None and viewer.role in self.roles

    def hides_from(self, viewer: Viewer | None) -> bool:
        """A store manager refused here hears 404, as for a page that does not exist."""
        return viewer is not None and viewer.is_store_manager and not self.allows(viewer)


PUBLIC = Rule("anyone", None)
SIGNED_IN = Rule("anyone signed in", frozenset(ROLES))
STAFF = Rule("owners and managers", frozenset({Role.OWNER, Role.MANAGER}))
# a store's pages, its report and its action plan: the store's managers too (scoped to their stores)
STORE_STAFF = Rule("owners, managers and store managers", frozenset({Role.OWNER, Role.MANAGER, Role.STORE}))
OWNER = Rule("owners", frozenset({Role.OWNER}))
SHOPPERS = Rule("shoppers", frozenset({Role.SHOPPER}))
SUBMITTERS = Rule("shoppers and owners", frozenset({Role.SHOPPER, Role.OWNER}))
