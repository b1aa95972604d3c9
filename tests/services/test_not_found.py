"""The owners' use cases answer NotFound for objects that do not exist."""

import pytest

from audit.errors import NotFound
from audit.services import checklists
from audit.services.company import organisation
from audit.services.people import accounts
from audit.services.planning import assignments


def test_nothing_is_found_for_unknown_objects(db, org):
    for call in (
        lambda: organisation.store(db, "NOPE-1"),
        lambda: organisation.region(db, "NOPE"),
        lambda: accounts.person(db, 999),
        lambda: checklists.versions_of(db, "nope"),
        lambda: assignments.cancel(db, 999, org.owner),
    ):
        with pytest.raises(NotFound):
            call()
