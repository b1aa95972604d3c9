"""People's accounts as owners change them: names and a manager's regions."""

import pytest

from audit.errors import Invalid
from audit.services.people import accounts


def test_a_manager_gets_new_regions_and_a_person_needs_a_name(db, org):
    accounts.update_person(db, org.north_manager, "Nia", ("NTH", "STH"), org.owner)
    assert accounts.person(db, org.north_manager).regions == ("NTH", "STH")
    with pytest.raises(Invalid):
        accounts.update_person(db, org.north_manager, "Nia", (), org.owner)
    with pytest.raises(Invalid):
        accounts.update_person(db, org.shopper, "", (), org.owner)
