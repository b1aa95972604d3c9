"""People pages: links let people choose their own password (mailed when SMTP is set up),
forms say everything missing at once, disabling asks first."""

import re
import smtplib
from typing import ClassVar

import pytest
from starlette.testclient import TestClient

from audit.services.people import accounts
from audit.settings import Smtp
from tests import actors


def invite(client, email="new@example.com", role="shopper", **extra):
    response = client.post("/admin/people", data={"email": email, "name": "Nel", "role": role, **extra})
    assert response.status_code == 200, response.text
    return re.search(r'value="(http://testserver/invite/[^"]+)"', response.text).group(1), response.text


def test_an_invited_shopper_chooses_their_password_through_the_link_and_is_signed_in(client, app, org):
    url, page = invite(client)
    assert 'type="password"' not in page  # the owner never sets or sees one
    with TestClient(app, follow_redirects=False) as newcomer:
        form = newcomer.get(url)
        assert form.status_code == 200 and "new@example.com" in form.text
        token = actors.csrf_of(form.text)
        differ = newcomer.post(url, data={"csrf_token": token, "password": "a-fine-passphrase", "password_again": "x"})
        assert differ.status_code == 422 and "the two passwords differ" in differ.text
        done = newcomer.post(
            url, data={"csrf_token": token, "password": "a-fine-passphrase", "password_again": "a-fine-passphrase"}
        )
        assert done.status_code == 303 and "My visits" in newcomer.get("/").text
        assert newcomer.get(url).status_code == 404  # once only


def test_a_manager_needs_a_region_and_the_form_keeps_the_choices(client, org):
    response = client.post("/admin/people", data={"email": "m@example.com", "name": "Mo", "role": "manager"})
    assert response.status_code == 422 and 'id="regions-error"' in response.text
    assert 'value="m@example.com"' in response.text and re.search(r'value="manager"\s+checked', response.text)
    invite(client, "m@example.com", "manager", regions=["STH"])
    person = next(p for p in accounts.list_users(client.app.state.db) if p.email == "m@example.com")
    assert person.regions == ("STH",) and not person.has_password


class FakeSMTP:
    sent: ClassVar[list] = []

    def __init__(self, host, port, timeout):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def mailing_app(settings, monkeypatch):
    from audit.app import create_app

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    return create_app(settings.with_(smtp=Smtp("mail.test", 587, "starttls", "u", "p", "audit@example.com")))


def test_with_smtp_settings_the_link_is_also_mailed(mailing_app, org):
    with TestClient(mailing_app, follow_redirects=False) as client:
        actors.sign_in(client, "owner@example.com")
        url, page = invite(client)
    assert "The link was mailed to new@example.com" in page
    [message] = FakeSMTP.sent
    assert message["To"] == "new@example.com" and url in message.get_content()


def test_disabling_asks_first_and_an_owner_cannot_disable_themselves(client, org):
    assert "Disable shopper@example.com?" in client.post(f"/admin/people/{org.shopper}/disable").text
    assert client.post(f"/admin/people/{org.shopper}/disable", data={"confirmed": "yes"}).status_code == 303
    assert next(p for p in accounts.list_users(client.app.state.db) if p.id == org.shopper).disabled
    assert client.post(f"/admin/people/{org.owner}/disable", data={"confirmed": "yes"}).status_code == 422


def test_a_person_form_with_nothing_filled_in_says_everything_missing_at_once(client, org):
    response = client.post("/admin/people", data={"email": "", "name": "", "role": "manager"})
    assert response.status_code == 422
    page = response.text
    assert 'id="email-error"' in page and 'id="name-error"' in page and "needs at least one region" in page
    assert "their link goes there" in page
