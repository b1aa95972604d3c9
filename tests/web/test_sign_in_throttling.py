"""Sign-in throttling without lockouts or bypasses, through the real app and database.

Failures count per email, per client address and per known device (a signed cookie a
successful sign-in leaves); beyond 5 the next attempt waits a short, growing time. The
clock is ours here (`clock`), so waits are exact and nothing sleeps.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import uvicorn
from starlette.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from audit import cli
from audit import settings as settings_module
from audit.services.people import accounts
from audit.settings import SettingsError
from audit.storage import models
from tests import actors

WRONG = "not-the-password"


class Clock:
    def __init__(self) -> None:
        self.now = models.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(models, "now", clock)
    return clock


def login(client: TestClient, email: str, password: str, **headers: str):
    token = actors.csrf_of(client.get("/login", headers=headers).text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, headers=headers)


def browser(app, **cookies: str) -> TestClient:
    return TestClient(app, follow_redirects=False, cookies=cookies)


def known_device_of(app, email: str) -> str:
    """Signs `email` in once in a new browser and hands back the device cookie it was given."""
    with browser(app) as first:
        assert login(first, email, actors.PASSWORD).status_code == 303
        return first.cookies["audit-device"]


def failures(db, reason: str = "") -> int:
    query = sa.select(sa.func.count()).where(models.SecurityEvent.kind == "sign_in_failed")
    if reason:
        query = query.where(models.SecurityEvent.detail == reason)
    with db.session() as session:
        return session.scalar(query)


def fail_until_throttled(client: TestClient, clock: Clock, emails: list[str], **headers: str) -> list[int]:
    """One failure for each email, waiting out every 429 met on the way; the waits asked."""
    waits = []
    for email in emails:
        response = login(client, email, WRONG, **headers)
        if response.status_code == 429:
            waits.append(int(response.headers["retry-after"]))
            clock.advance(waits[-1])
            response = login(client, email, WRONG, **headers)
        assert response.status_code == 401, response.text
    return waits


# (a) failures from one address lock nobody out


def test_unknown_email_failures_from_one_address_never_stop_the_owner_on_a_known_device(app, anonymous, db, clock):
    device = known_device_of(app, "owner@example.com")
    unknown = [f"nobody{n}@example.com" for n in range(10)]
    waits = fail_until_throttled(anonymous, clock, unknown)
    assert waits == [2, 4, 8, 16, 32]  # beyond 5 failures a short wait, growing with each one
    assert failures(db, "unknown email") == 10  # every failure is in the security trail
    refused = login(anonymous, "nobody@example.com", WRONG)
    assert refused.status_code == 429 and "Try again in 64 seconds" in refused.text

    with browser(app, **{"audit-device": device}) as known:  # the owner's own browser: straight in
        assert login(known, "owner@example.com", actors.PASSWORD).status_code == 303
    with browser(app) as new:  # a browser never used before waits the same short time, no more
        response = login(new, "owner@example.com", actors.PASSWORD)
        assert response.status_code == 429 and int(response.headers["retry-after"]) == 64
        clock.advance(64)
        assert login(new, "owner@example.com", actors.PASSWORD).status_code == 303


def test_someone_guessing_the_owner_s_password_does_not_stop_the_owner_on_a_known_device(app, org, db, clock):
    device = known_device_of(app, "owner@example.com")
    # guesses from many addresses, so only the account's own count holds them back
    for n in range(8):
        with TestClient(app, follow_redirects=False, client=(f"198.51.100.{n}", 4000)) as attacker:
            response = login(attacker, "owner@example.com", WRONG)
            if response.status_code == 429:
                clock.advance(int(response.headers["retry-after"]))
                response = login(attacker, "owner@example.com", WRONG)
            assert response.status_code == 401
    with TestClient(app, follow_redirects=False, client=("198.51.100.99", 4000)) as attacker:
        assert login(attacker, "owner@example.com", actors.PASSWORD).status_code == 429  # even the right one
    with browser(app, **{"audit-device": device}) as known:
        assert login(known, "owner@example.com", actors.PASSWORD).status_code == 303
    assert failures(db, "wrong password") == 8


def test_a_device_cookie_helps_only_the_person_it_was_given_to(app, anonymous, clock):
    mine = known_device_of(app, "shopper@example.com")  # the attacker's own account
    anonymous.cookies.set("audit-device", mine)
    for n in range(5):
        assert login(anonymous, "owner@example.com", WRONG, **{"x-n": str(n)}).status_code == 401
    assert login(anonymous, "owner@example.com", actors.PASSWORD).status_code == 429
    anonymous.cookies.set("audit-device", mine[:-2] + ("AA" if not mine.endswith("AA") else "BB"))  # forged
    assert login(anonymous, "owner@example.com", actors.PASSWORD).status_code == 429


def test_a_known_device_is_throttled_on_its_own_when_it_guesses(app, anonymous, clock):
    device = known_device_of(app, "north@example.com")
    with browser(app, **{"audit-device": device}) as known:
        waits = fail_until_throttled(known, clock, ["north@example.com"] * 7)
        assert waits == [2, 4]
        assert login(known, "north@example.com", actors.PASSWORD).status_code == 429
    # its failures were its own: neither the account nor the address counted them
    assert login(anonymous, "north@example.com", actors.PASSWORD).status_code == 303


def test_failures_are_forgiven_one_every_three_minutes(anonymous, clock):
    fail_until_throttled(anonymous, clock, [f"x{n}@example.com" for n in range(5)])
    assert login(anonymous, "owner@example.com", actors.PASSWORD).status_code == 429
    clock.advance(180)  # one failure forgiven: 4 counted, no wait
    assert login(anonymous, "owner@example.com", actors.PASSWORD).status_code == 303


# (b) attempts sent at once are counted at once


@pytest.mark.parametrize("addresses", ["one address", "thirty addresses"])
def test_thirty_wrong_passwords_at_once_for_one_email_check_at_most_five(db, org, clock, monkeypatch, addresses):
    checked = []
    verify = accounts._verify

    def counting_verify(stored: str, password: str) -> bool:
        checked.append(password)
        return verify(stored, password)

    monkeypatch.setattr(accounts, "_verify", counting_verify)
    start = threading.Barrier(30)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        client = "203.0.113.9" if addresses == "one address" else f"203.0.113.{n}"
        start.wait()
        try:
            accounts.sign_in(db, "north@example.com", f"{WRONG}-{n}", client)
        except (accounts.SignInFailed, accounts.Throttled) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == accounts.THROTTLE_FAILURES == 5
    assert sorted(outcomes) == ["SignInFailed"] * 5 + ["Throttled"] * 25
    assert failures(db, "wrong password") == 5


# (c) a success never wipes failures


def test_a_successful_sign_in_does_not_reset_the_address_count(anonymous, db, clock):
    for n in range(5):  # an attacker interleaves guesses with sign-ins to an account of their own
        assert login(anonymous, f"victim{n}@example.com", WRONG).status_code == 401
        assert login(anonymous, "shopper@example.com", actors.PASSWORD).status_code == 303
        anonymous.cookies.delete("audit")  # signed out again; the device cookie stays
    assert login(anonymous, "victim5@example.com", WRONG).status_code == 429
    assert failures(db) == 5


def test_a_successful_sign_in_does_not_reset_the_email_count(app, anonymous, clock):
    for _ in range(4):
        assert login(anonymous, "north@example.com", WRONG).status_code == 401
    with TestClient(app, follow_redirects=False, client=("192.0.2.7", 4000)) as owner_elsewhere:
        assert login(owner_elsewhere, "north@example.com", actors.PASSWORD).status_code == 303
    assert login(anonymous, "north@example.com", WRONG).status_code == 401
    assert login(anonymous, "north@example.com", WRONG).status_code == 429


# AUDIT_FORWARDED_ALLOW_IPS: the client behind a platform's router


def test_forwarded_allow_ips_is_read_and_checked():
    assert settings_module.from_env({}).forwarded_allow_ips == ("127.0.0.1", "::1")
    read = settings_module.from_env({"AUDIT_FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.0.2.1,fd00::/8"})
    assert read.forwarded_allow_ips == ("10.0.0.0/8", "192.0.2.1", "fd00::/8")
    assert settings_module.from_env({"AUDIT_FORWARDED_ALLOW_IPS": "*"}).forwarded_allow_ips == ("*",)
    for bad in ("the-router", "10.0.0.0/8,*", "300.1.1.1"):
        with pytest.raises(SettingsError, match="AUDIT_FORWARDED_ALLOW_IPS"):
            settings_module.from_env({"AUDIT_FORWARDED_ALLOW_IPS": bad})


def test_audit_serve_hands_forwarded_allow_ips_to_uvicorn(monkeypatch):
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options, app=app))
    for name in ("DATABASE_URL", "AUDIT_ENV", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUDIT_FORWARDED_ALLOW_IPS", "10.0.0.0/8,192.0.2.1")
    assert cli.main(["serve", "--port", "8123"]) == 0
    app = started.pop("app")
    config = uvicorn.Config(app, **started)
    assert config.proxy_headers and config.forwarded_allow_ips == "10.0.0.0/8,192.0.2.1"


def test_behind_a_trusted_router_each_person_has_their_own_address_count(app, org, db, clock):
    """The router (10.x) appends the address it saw to X-Forwarded-For; uvicorn, trusting
    only the router, takes that one, whatever the client wrote in the header itself."""
    config = uvicorn.Config(app, proxy_headers=True, forwarded_allow_ips="10.0.0.0/8")
    behind_router = ProxyHeadersMiddleware(app, trusted_hosts=config.forwarded_allow_ips)
    with TestClient(behind_router, follow_redirects=False, client=("10.1.2.3", 5000)) as attacker:
        for n in range(5):
            spoofed = {"x-forwarded-for": f"192.0.2.{n}, 198.51.100.7"}  # first entry written by the client
            assert login(attacker, f"nobody{n}@example.com", WRONG, **spoofed).status_code == 401
        assert login(attacker, "nobody@example.com", WRONG, **{"x-forwarded-for": "198.51.100.7"}).status_code == 429
    with TestClient(behind_router, follow_redirects=False, client=("10.1.2.3", 5001)) as colleague:
        response = login(colleague, "owner@example.com", actors.PASSWORD, **{"x-forwarded-for": "198.51.100.8"})
        assert response.status_code == 303
    with db.session() as session:
        clients = set(session.scalars(sa.select(models.SecurityEvent.client).where(models.SecurityEvent.client != "")))
    assert clients == {"198.51.100.7", "198.51.100.8"}


def change_password(client: TestClient, current: str, new: str = "a-brand-new-password-7"):
    data = {"current_password": current, "new_password": new, "confirm_password": new}
    return client.post("/account/password", data=data)


def test_guessing_the_current_password_on_an_open_session_waits_like_a_sign_in(client_for, clock, db):
    nia = client_for("north@example.com")
    for _ in range(5):
        response = change_password(nia, WRONG)
        assert response.status_code == 422 and "the current password is not right" in response.text
    refused = change_password(nia, actors.PASSWORD)  # even the right one must wait now
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert "Too many wrong passwords. Try again in 2 seconds." in refused.text
    with db.session() as session:
        user = session.scalar(sa.select(models.User).where(models.User.email == "north@example.com"))
        failures = session.scalars(
            sa.select(models.SecurityEvent.kind).where(models.SecurityEvent.kind == "password_change_failed")
        ).all()
    assert accounts._verify(user.password_hash, actors.PASSWORD) and len(failures) == 5
    with browser(nia.app) as fresh:  # the same count stands in front of signing in with that email
        assert login(fresh, "north@example.com", actors.PASSWORD).status_code == 429
    clock.advance(2)
    assert change_password(nia, actors.PASSWORD).status_code == 303
    with browser(nia.app) as fresh:
        assert login(fresh, "north@example.com", "a-brand-new-password-7").status_code == 303
