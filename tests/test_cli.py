import subprocess
import sys
from pathlib import Path

import pytest

from audit import cli
from audit.settings import ROOT
from audit.storage.db import Database
from tests import actors

QUICK = ROOT / "checklists" / "quick-visit.toml"


@pytest.fixture
def env(settings, monkeypatch):
    monkeypatch.setenv("AUDIT_SQLITE_PATH", str(settings.sqlite_path))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    return settings


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "audit.cli", "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    for command in ("serve", "db", "demo", "checklists", "assignments"):
        assert command in out


def test_validate_accepts_good_files_and_names_the_item_in_a_bad_one(capsys, tmp_path: Path):
    code, out, _ = run(capsys, "checklists", "validate", str(QUICK))
    assert code == 0 and "ok, quick-visit version" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(QUICK.read_text().replace("max = 5", "max = 5\nbands = 3", 1))
    code, _, err = run(capsys, "checklists", "validate", str(bad))
    assert code == 2
    assert str(bad) in err and "field 'bands' does not apply to a scale item" in err and "item '" in err


def test_import_twice_creates_one_version_and_list_shows_it(capsys, env, db):
    code, out, _ = run(capsys, "checklists", "import", str(QUICK))
    assert code == 0 and "(new version)" in out
    code, out, _ = run(capsys, "checklists", "import", str(QUICK))
    assert "unchanged, no new version" in out
    code, out, _ = run(capsys, "checklists", "list")
    assert out.count("quick-visit") == 1 and "current" in out


def test_import_of_a_bad_file_imports_nothing(capsys, env, db, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("key = 'x'")
    code, _, err = run(capsys, "checklists", "import", str(QUICK), str(bad))
    assert code == 2 and "bad.toml" in err
    _, out, _ = run(capsys, "checklists", "list")
    assert "no checklists yet" in out


def test_assignments_add_and_list(capsys, env, org):
    code, out, _ = run(
        capsys, "assignments", "add", "shopper@example.com", "nth-001", "customer-service", "--from", "2099-01-05"
    )
    assert code == 0 and "NTH-001" in out
    _, out, _ = run(capsys, "assignments", "list", "--shopper", "shopper@example.com")
    assert "2099-01-05 to 2099-01-05" in out and "NTH-001" in out and "customer-service" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["owner@example.com", "NTH-001", "customer-service"], "not a shopper"),
        (["shopper@example.com", "NOPE-1", "customer-service"], "no store"),
        (["shopper@example.com", "NTH-001", "nope"], "no checklist"),
        (
            ["shopper@example.com", "NTH-001", "customer-service", "--from", "2099-02-02", "--to", "2099-02-01"],
            "before",
        ),
    ],
)
def test_assignments_add_refuses_bad_input_clearly(capsys, env, org, args, message):
    _, before, _ = run(capsys, "assignments", "list", "--all")
    code, _, err = run(capsys, "assignments", "add", *args)
    assert code == 2 and message in err
    _, after, _ = run(capsys, "assignments", "list", "--all")
    assert after == before


def test_assignments_add_keeps_the_rotation_rule_as_the_planning_page_does(capsys, env, org, monkeypatch):
    monkeypatch.setenv("AUDIT_ROTATION_DAYS", "30")
    first = ["shopper@example.com", "NTH-001", "customer-service", "--from", "2099-03-01"]
    assert run(capsys, "assignments", "add", *first)[0] == 0
    code, _, err = run(capsys, "assignments", "add", *first[:-1], "2099-03-20")
    assert code == 2 and "rotation rule keeps 30 days" in err and "2099-03-31" in err
    _, out, _ = run(capsys, "assignments", "list", "--shopper", "shopper@example.com", "--all")
    assert "2099-03-20" not in out
    assert run(capsys, "assignments", "add", *first[:-1], "2099-03-31")[0] == 0


def test_a_bad_date_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["assignments", "add", "a@b.c", "S", "c", "--from", "tomorrow"])
    assert exit_.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_db_upgrade_then_demo_if_empty_loads_once(capsys, env):
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "database at revision " in out
    code, out, _ = run(capsys, "demo", "--stores", "3", "--months", "1", "--if-empty")
    assert code == 0 and "demo loaded: 3 regions, 3 stores" in out
    code, out, _ = run(capsys, "demo", "--if-empty")
    assert code == 0 and "nothing loaded" in out
    code, _, err = run(capsys, "demo")
    assert code == 2 and "already holds data" in err


def test_a_bad_setting_is_refused_without_a_traceback(capsys, monkeypatch):
    monkeypatch.setenv("AUDIT_TIMEZONE", "Mars/Olympus")
    code, _, err = run(capsys, "checklists", "list")
    assert code == 2 and "AUDIT_TIMEZONE" in err and "Traceback" not in err


def test_users_create_list_set_password_and_disable(capsys, env, org, monkeypatch):
    import io

    from audit.services.people import accounts

    monkeypatch.setattr("sys.stdin", io.StringIO("a-fine-long-phrase\n"))
    code, out, _ = run(
        capsys, "users", "create", "West@Example.com", "--role", "manager", "--region", "sth", "--password-stdin"
    )
    assert code == 0 and "west@example.com created: manager for STH" in out
    _, out, _ = run(capsys, "users", "list")
    assert "west@example.com" in out and "STH" in out and "active" in out
    with Database(env) as db:
        token, _ = accounts.sign_in(db, "west@example.com", "a-fine-long-phrase", "cli-test")
    monkeypatch.setattr("sys.stdin", io.StringIO("another-long-phrase\n"))
    code, out, _ = run(capsys, "users", "set-password", "west@example.com", "--password-stdin")
    assert code == 0 and "sessions have ended" in out
    with Database(env) as db:
        assert accounts.session_viewer(db, token) is None
    code, out, _ = run(capsys, "users", "disable", "west@example.com")
    assert code == 0
    _, out, _ = run(capsys, "users", "list")
    assert "disabled" in out


def test_users_create_a_store_manager_for_their_stores(capsys, env, org, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a-fine-long-phrase\n"))
    args = ("users", "create", "leeds@example.com", "--role", "store", "--store", "nth-001", "--password-stdin")
    code, out, _ = run(capsys, *args)
    assert code == 0 and "leeds@example.com created: store for NTH-001" in out
    _, out, _ = run(capsys, "users", "list")
    (line,) = [row for row in out.splitlines() if row.startswith("leeds@example.com")]
    assert line.split()[1:4] == ["store", "active", "NTH-001"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["x@example.com", "--role", "manager"], "long-enough-phrase\n", "needs at least one region"),
        (["x@example.com", "--role", "shopper", "--region", "NTH"], "long-enough-phrase\n", "only managers"),
        (["x@example.com", "--role", "owner"], "short\n", "at least 8"),
        (["x@example.com", "--role", "owner"], "password123\n", "most common"),
        (["owner@example.com", "--role", "owner"], "long-enough-phrase\n", "exists already"),
        (["x@example.com", "--role", "manager", "--region", "ZZZ"], "long-enough-phrase\n", "no region ZZZ"),
        (["x@example.com", "--role", "store"], "long-enough-phrase\n", "needs at least one store"),
        (["x@example.com", "--role", "store", "--store", "NTH-404"], "long-enough-phrase\n", "no store NTH-404"),
        (
            ["x@example.com", "--role", "manager", "--region", "NTH", "--store", "NTH-001"],
            "long-phrase-ok\n",
            "only store",
        ),
    ],
)
def test_users_create_refuses_bad_input_and_creates_nobody(capsys, env, org, monkeypatch, args, stdin, message):
    import io

    _, before, _ = run(capsys, "users", "list")
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, _, err = run(capsys, "users", "create", *args, "--password-stdin")
    assert code == 2 and message in err
    _, after, _ = run(capsys, "users", "list")
    assert after == before


def test_commands_on_a_database_that_is_not_set_up_say_what_to_do(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_SQLITE_PATH", str(tmp_path / "none" / "audit.db"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, _, err = run(capsys, "checklists", "list")
    assert code == 2 and "audit db upgrade" in err
    assert not (tmp_path / "none").exists()  # a read-only command creates nothing


def test_a_bad_port_in_the_environment_is_a_message_not_a_traceback(capsys, monkeypatch):
    monkeypatch.setenv("PORT", "abc")
    code, _, err = run(capsys, "--help")
    assert code == 2 and "PORT must be a whole number" in err


def test_demo_prints_who_to_sign_in_as(capsys, env):
    code, out, _ = run(capsys, "demo", "--stores", "3", "--months", "1")
    assert code == 0 and "owner@example.com" in out and "shopper1@example.com" in out


def test_report_commands_write_pdfs_and_a_zip_with_a_progress_bar(capsys, env, org, db, tmp_path: Path):
    import zipfile

    from audit.services import audits

    submitter = audits.Submitter(db)
    body = actors.body(org.main)
    audits.submit(db, submitter, audits.Submission.model_validate(body), org.shopper)
    submitter.close()
    code, out, _ = run(capsys, "report", "audit", body["id"], "--for-store", "-o", str(tmp_path / "one.pdf"))
    assert code == 0 and (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF-")
    span = ("--from", "2026-10-01", "--to", "2026-11-30")
    code, out, _ = run(capsys, "report", "region", "NTH", *span, "-o", str(tmp_path / "region.pdf"))
    assert code == 0 and (tmp_path / "region.pdf").read_bytes().startswith(b"%PDF-")
    code, out, err = run(capsys, "report", "audits", "--region", "NTH", *span, "-o", str(tmp_path / "all.zip"))
    assert code == 0 and "1 audit PDFs" in out and "[##############################] 1 of 1 audits" in err
    names = zipfile.ZipFile(tmp_path / "all.zip").namelist()
    assert names == [f"audit-NTH-001-2026-11-02-{body['id'][:8]}.pdf"]
    code, _, err = run(capsys, "report", "store", "NTH-001", "--from", "2026-13-01")
    assert code == 2 and "dates must look like" in err
    code, _, err = run(capsys, "report", "store", "XXX-999")
    assert code == 2 and "no store" in err
