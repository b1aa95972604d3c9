"""One-time links: an invitation or a reset works once, voids the older ones, expires."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit.errors import Invalid
from audit.services.people import accounts, invitations
from audit.storage import models
from tests import actors


def test_an_invitation_link_works_once_and_signs_the_person_in(db, org):
    user_id = accounts.create_user(db, "new@example.com", "shopper", "Nel", actor_id=org.owner)
    link = invitations.create(db, user_id, org.owner)
    assert link.purpose == "invite" and invitations.pending(db, link.token).email == "new@example.com"
    with pytest.raises(Invalid):
        invitations.accept(db, link.token, "short")
    token, viewer = invitations.accept(db, link.token, "a-fine-long-passphrase")
    assert viewer.email == "new@example.com" and accounts.session_viewer(db, token) is not None
    with pytest.raises(invitations.LinkGone):
        invitations.accept(db, link.token, "another-long-passphrase")
    assert accounts.sign_in(db, "new@example.com", "a-fine-long-passphrase", "t")[1].id == user_id


def test_a_new_link_voids_the_old_one_and_a_reset_ends_sessions(db, org):
    first = invitations.create(db, org.shopper, org.owner)
    second = invitations.create(db, org.shopper, org.owner)
    assert second.purpose == "reset"  # the shopper has a password
    with pytest.raises(invitations.LinkGone):
        invitations.pending(db, first.token)
    old_session, _ = accounts.sign_in(db, "shopper@example.com", actors.PASSWORD, "t")
    invitations.accept(db, second.token, "a-brand-new-passphrase")
    assert accounts.session_viewer(db, old_session) is None


def test_an_expired_link_or_one_of_a_disabled_person_does_not_work(db, org):
    link = invitations.create(db, org.other_shopper, org.owner)
    with db.write_session() as session:
        session.execute(sa.update(models.Invitation).values(expires_at=models.now() - timedelta(seconds=1)))
    with pytest.raises(invitations.LinkGone):
        invitations.pending(db, link.token)
    link = invitations.create(db, org.other_shopper, org.owner)
    accounts.disable(db, "other@example.com", org.owner)
    with pytest.raises(invitations.LinkGone):
        invitations.pending(db, link.token)
    with pytest.raises(Invalid):
        invitations.create(db, org.other_shopper, org.owner)


def test_a_link_is_stored_only_as_a_hash(db, org):
    link = invitations.create(db, org.shopper, org.owner)
    with db.session() as session:
        stored = session.scalars(sa.select(models.Invitation.token_hash)).all()
    assert link.token not in stored and len(stored) == 1


def test_inviting_says_every_problem_at_once_then_gives_the_link_to_pass_on(db, org):
    with pytest.raises(Invalid) as refused:
        invitations.invite(db, "not-an-address", "", "manager", (), org.owner, "http://test/", None)
    assert {p.field for p in refused.value.problems} == {"email", "name", "region"}
    given = invitations.invite(db, "Nel@Example.com", "Nel", "shopper", ("NTH",), org.owner, "http://test/", None)
    assert given.url == f"http://test/invite/{given.link.token}" and (given.sent, given.failure) == (False, "")
    assert accounts.person(db, given.user_id).regions == ()  # only managers have regions
    assert invitations.pending(db, given.link.token).email == "nel@example.com"


def test_the_link_page_wants_the_password_twice_alike_and_keeps_the_link_until_then(db, org):
    given = invitations.give(db, org.other_shopper, org.owner, "http://test", None)
    with pytest.raises(Invalid) as differ:
        invitations.choose_password(db, given.link.token, "a-fine-long-passphrase", "another")
    assert [p.field for p in differ.value.problems] == ["password_again"]
    token, viewer = invitations.choose_password(
        db, given.link.token, "a-fine-long-passphrase", "a-fine-long-passphrase"
    )
    assert viewer.id == org.other_shopper and accounts.session_viewer(db, token) is not None
    with pytest.raises(invitations.LinkGone):
        invitations.choose_password(db, given.link.token, "x", "y")
