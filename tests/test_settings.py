import re

import pytest

from audit import settings as settings_module
from audit.settings import ROOT, SettingsError


def test_every_environment_variable_is_documented_in_the_readme():
    source = (ROOT / "audit" / "settings.py").read_text() + (ROOT / "audit" / "cli.py").read_text()
    names = set(re.findall(r'"((?:AUDIT_|DATABASE_)[A-Z_]+|PORT|WEB_CONCURRENCY|SECRET_KEY)"', source))
    readme = (ROOT / "README.md").read_text()
    assert names >= {"DATABASE_URL", "AUDIT_SQLITE_PATH", "AUDIT_TIMEZONE", "SECRET_KEY", "AUDIT_ENV"}
    assert [n for n in sorted(names) if f"`{n}`" not in readme] == []


def test_defaults_are_sqlite_in_the_project_folder():
    s = settings_module.from_env({})
    assert s.is_sqlite and s.url.endswith("var/audit.db")


def test_a_platform_postgres_url_is_spoken_through_psycopg():
    s = settings_module.from_env({"DATABASE_URL": "postgres://u:p@h/db"})
    assert s.url == "postgresql+psycopg://u:p@h/db" and not s.is_sqlite


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": "mysql://x"},
        {"AUDIT_TIMEZONE": "Nowhere/Land"},
        {"AUDIT_MAX_BODY_BYTES": "lots"},
        {"AUDIT_MAX_BODY_BYTES": "10"},
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(env):
    with pytest.raises(SettingsError, match=next(iter(env))):
        settings_module.from_env(env)


@pytest.mark.parametrize("key", ["", "short", "a" * 40])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        settings_module.from_env({"AUDIT_ENV": "production", "SECRET_KEY": key})


def test_production_with_a_real_key_is_https_by_default():
    s = settings_module.from_env({"AUDIT_ENV": "production", "SECRET_KEY": "k3y-Wi7h-m4ny-d1ff3r3nt-ch4rs-1234567"})
    assert s.https and s.secret_key


def test_development_keeps_one_generated_key_for_every_worker(tmp_path):
    from audit.settings import Settings

    a = Settings(sqlite_path=tmp_path / "audit.db").signing_key
    b = Settings(sqlite_path=tmp_path / "audit.db").signing_key
    assert a == b and len(a) >= 40


def test_the_default_checklist_is_a_setting_refused_when_it_cannot_be_a_key():
    assert settings_module.from_env({}).default_checklist == "customer-service"
    assert settings_module.from_env({"AUDIT_DEFAULT_CHECKLIST": "quick-visit"}).default_checklist == "quick-visit"
    with pytest.raises(SettingsError, match="AUDIT_DEFAULT_CHECKLIST"):
        settings_module.from_env({"AUDIT_DEFAULT_CHECKLIST": "Quick Visit!"})


def test_today_is_the_company_s_day_not_the_server_s():
    from datetime import UTC, datetime, timedelta

    ahead = settings_module.from_env({"AUDIT_TIMEZONE": "Pacific/Kiritimati"})  # UTC+14
    behind = settings_module.from_env({"AUDIT_TIMEZONE": "Pacific/Pago_Pago"})  # UTC-11
    utc_day = datetime.now(UTC).date()
    assert ahead.today() - behind.today() == timedelta(days=1)
    assert behind.today() <= utc_day <= ahead.today()
