"""Sign-in, sessions, throttling, CSRF and headers, through the real app and database."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from audit.app import create_app
from audit.services.people import accounts
from audit.storage import models
from tests import actors


def count(db, table) -> int:
    with db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table))


def login(client: TestClient, email: str, password: str, **extra):
    token = actors.csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def test_signing_in_sets_a_safe_cookie_and_rotates_the_session(anonymous, db):
    before = anonymous.get("/login")
    anon_csrf = actors.csrf_of(before.text)
    response = login(anonymous, "owner@example.com", actors.PASSWORD, next="/admin/security")
    assert response.status_code == 303 and response.headers["location"] == "/admin/security"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie  # 12 hours for staff
    assert actors.csrf_of(anonymous.get("/account/password").text) != anon_csrf
    assert count(db, models.UserSession) == 1


def test_a_shopper_stays_signed_in_for_30_days(anonymous):
    response = login(anonymous, "shopper@example.com", actors.PASSWORD)
    assert f"Max-Age={30 * 24 * 3600}" in response.headers["set-cookie"]


def test_sign_in_never_reveals_whether_the_email_exists(anonymous, db):
    wrong = login(anonymous, "owner@example.com", "not-the-password")
    unknown = login(anonymous, "nobody@example.com", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "The email or password is not right." in wrong.text and "The email or password is not right." in unknown.text
    assert count(db, models.UserSession) == 0
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_a_next_parameter_never_leads_off_the_site(anonymous):
    response = login(anonymous, "owner@example.com", actors.PASSWORD, next="https://evil.example/")
    assert response.headers["location"] == "/"


def test_five_failures_for_one_email_make_a_new_browser_wait_a_moment_then_it_may_try(anonymous, db):
    for _ in range(5):
        assert login(anonymous, "north@example.com", "guess-guess").status_code == 401
    throttled = login(anonymous, "north@example.com", actors.PASSWORD)  # even the right password
    assert throttled.status_code == 429
    assert "Try again in 2 seconds" in throttled.text
    assert int(throttled.headers["retry-after"]) == 2  # a short wait, not a 15-minute lockout
    assert count(db, models.UserSession) == 0
    with db.write_session() as session:  # the two seconds pass
        session.execute(sa.update(models.SignInThrottle).values(last_at=models.now() - timedelta(seconds=3)))
    assert login(anonymous, "north@example.com", actors.PASSWORD).status_code == 303


def test_five_failures_from_one_address_throttle_it_whatever_the_email(anonymous):
    for n in range(5):
        login(anonymous, f"someone{n}@example.com", "guess-guess")
    assert login(anonymous, "owner@example.com", actors.PASSWORD).status_code == 429


def test_a_disabled_user_cannot_sign_in_and_their_sessions_stop(client_for, db):
    shopper = client_for("shopper@example.com")
    accounts.disable(db, "shopper@example.com")
    assert shopper.get("/api/audits/2f1b6a4e-8d3c-4a8e-9b1f-0c2d3e4f5a6b").status_code == 401
    fresh = TestClient(shopper.app, follow_redirects=False)
    assert login(fresh, "shopper@example.com", actors.PASSWORD).status_code == 401


def test_after_sign_out_a_copied_cookie_no_longer_works(client):
    copied = dict(client.cookies)
    assert client.post("/logout").status_code == 303
    thief = TestClient(client.app, cookies=copied, follow_redirects=False)
    assert thief.get("/").status_code == 303  # to the sign-in page
    assert thief.get("/api/audits/2f1b6a4e-8d3c-4a8e-9b1f-0c2d3e4f5a6b").status_code == 401


def test_an_expired_session_answers_the_phone_with_401_and_keeps_nothing(shopper_client, db, org):
    with db.write_session() as session:
        session.execute(sa.update(models.UserSession).values(expires_at=models.now() - timedelta(seconds=1)))
    response = shopper_client.post("/api/audits", json=actors.body(org.main))
    assert response.status_code == 401
    assert "sign in again" in response.json()["error"].lower()
    assert count(db, models.Audit) == 0


def test_passwords_must_be_long_and_uncommon(db):
    for weak in ("short", "password123", "qwertyuiop", "aaaaaaaaaa"):
        assert accounts.password_problems(weak), weak
    assert accounts.password_problems("owner@example.com", "owner@example.com")
    assert accounts.password_problems("a-long and rare phrase") == []


def test_changing_the_password_rotates_this_session_and_ends_the_others(client_for, db):
    here, elsewhere = client_for("north@example.com"), client_for("north@example.com")
    token = here.headers["X-CSRF-Token"]
    response = here.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": actors.PASSWORD,
            "new_password": "a-brand-new-phrase",
            "confirm_password": "a-brand-new-phrase",
        },
    )
    assert response.status_code == 303
    assert here.get("/account/password?done=1").status_code == 200
    assert elsewhere.get("/account/password").status_code == 303  # signed out
    fresh = TestClient(here.app, follow_redirects=False)
    assert login(fresh, "north@example.com", "a-brand-new-phrase").status_code == 303


def test_a_weak_new_password_is_refused_and_nothing_changes(client):
    response = client.post(
        "/account/password",
        data={
            "csrf_token": client.headers["X-CSRF-Token"],
            "current_password": actors.PASSWORD,
            "new_password": "password1",
            "confirm_password": "password1",
        },
    )
    assert response.status_code == 422 and "most common" in response.text
    fresh = TestClient(client.app, follow_redirects=False)
    assert login(fresh, "owner@example.com", actors.PASSWORD).status_code == 303


def test_a_hash_made_with_old_parameters_is_replaced_at_sign_in(production_hashing, anonymous, db):
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(actors.PASSWORD)
    with db.write_session() as session:
        session.execute(
            sa.update(models.User).where(models.User.email == "south@example.com").values(password_hash=old)
        )
    assert login(anonymous, "south@example.com", actors.PASSWORD).status_code == 303
    with db.session() as session:
        new = session.scalar(sa.select(models.User.password_hash).where(models.User.email == "south@example.com"))
    assert new != old and not PasswordHasher().check_needs_rehash(new)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(anonymous, db):
    anonymous.get("/login")
    response = anonymous.post("/login", data={"email": "owner@example.com", "password": actors.PASSWORD})
    assert response.status_code == 403
    assert count(db, models.UserSession) == 0


def test_sign_out_without_a_token_does_not_sign_out(client):
    response = client.post("/logout", headers={"X-CSRF-Token": ""})
    assert response.status_code == 403
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("token", ["", "0" * 64])
def test_the_json_api_needs_the_csrf_header(shopper_client, org, db, token):
    response = shopper_client.post("/api/audits", json=actors.body(org.main), headers={"X-CSRF-Token": token})
    assert response.status_code == 403
    assert count(db, models.Audit) == 0


def test_a_token_from_another_session_fails(client_for, org, db):
    mine, theirs = client_for("shopper@example.com"), client_for("other@example.com")
    stolen = theirs.headers["X-CSRF-Token"]
    response = mine.post("/api/audits", json=actors.body(org.main), headers={"X-CSRF-Token": stolen})
    assert response.status_code == 403
    assert count(db, models.Audit) == 0


def test_cross_site_requests_are_refused_even_with_a_token(shopper_client, org, db):
    response = shopper_client.post("/api/audits", json=actors.body(org.main), headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert count(db, models.Audit) == 0


def test_over_https_the_cookie_is_host_only_and_secure_and_hsts_is_sent(settings, org):
    app = create_app(settings.with_(https=True))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = login(client, "owner@example.com", actors.PASSWORD)
        cookies = response.headers.get_list("set-cookie")
        assert any(c.startswith("__Host-audit=") for c in cookies)
        assert any(c.startswith("__Host-audit-device=") for c in cookies)  # the known-device cookie
        assert all("Secure" in c for c in cookies)
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_owner_sees_the_security_trail(client_for):
    anonymous = TestClient(client_for("owner@example.com").app, follow_redirects=False)
    login(anonymous, "north@example.com", "wrong-wrong-wrong")
    owner = client_for("owner@example.com")
    page = owner.get("/admin/security?kind=sign_in_failed")
    assert page.status_code == 200
    assert "north@example.com" in page.text and "wrong password" in page.text
    assert client_for("north@example.com").get("/admin/security").status_code == 403
