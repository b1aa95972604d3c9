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


def test_an_owner_cannot_disable_themselves_and_disabling_by_id_says_whom(db, org):
    with pytest.raises(Invalid):
        accounts.person_to_disable(db, org.owner, org.owner)
    with pytest.raises(Invalid):
        accounts.disable_person(db, org.owner, org.owner)
    assert accounts.person_to_disable(db, org.shopper, org.owner).email == "shopper@example.com"
    assert accounts.disable_person(db, org.shopper, org.owner) == "shopper@example.com"
    assert accounts.person(db, org.shopper).disabled
    assert accounts.enable_person(db, org.shopper, org.owner) == "shopper@example.com"
    assert not accounts.person(db, org.shopper).disabled
