"""The weekly digest, through `audit digest send` and the clock: once per manager and ISO week,
with each region's report attached as a PDF, mailed through a local SMTP server."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from audit import cli
from audit.services.notifications import clock, digest
from audit.settings import ROOT
from audit.storage import models
from tests import actors, pdfs

WEEK = "2026-W45"  # Mon 2 Nov to Sun 8 Nov 2026: the week of actors.VISIT_END


@pytest.fixture
def env(settings, monkeypatch):
    """The command line's environment: the test's database, mail to the sink."""
    variables = {
        "AUDIT_SQLITE_PATH": str(settings.sqlite_path), "DATABASE_URL": settings.database_url,
        "AUDIT_SMTP_HOST": settings.smtp.host, "AUDIT_SMTP_PORT": str(settings.smtp.port),
        "AUDIT_SMTP_SECURITY": "none", "AUDIT_SMTP_FROM": settings.smtp.sender, "AUDIT_BASE_URL": settings.base_url,
    }  # fmt: skip
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def week_of_audits(client_for, org):
    """A critical failure at Leeds in the week (it opens a plan), a good audit at York before."""
    shopper = client_for("shopper@example.com")
    bad = actors.body(org.main, "NTH-001", answers=actors.answers_for(org.main, respectful_throughout="no"))
    good = actors.body(org.main, "NTH-002", finished=actors.VISIT_END - timedelta(days=10))
    for body in (bad, good):
        assert shopper.post("/api/audits", json=body).status_code == 201
    return bad["id"]


def digests(db) -> list[tuple[int, str, str]]:
    with db.session() as session:
        return [
            tuple(r)
            for r in session.execute(
                sa.select(models.Notification.user_id, models.Notification.line, models.Notification.mail_state)
                .where(models.Notification.kind == "digest")
                .order_by(models.Notification.user_id)
            )
        ]


def test_a_digest_run_twice_mails_each_manager_once_with_the_region_report(
    env, db, org, week_of_audits, sink, capsys, tmp_path
):
    assert cli.main(["digest", "send", "--week", WEEK]) == 0
    out = capsys.readouterr().out
    assert f"digest {WEEK}: 2 manager(s) told now, 0 told before; mail: 2 sent" in out
    # the north's manager: scores, the week's critical failure, the plan it opened; the report attached
    (mail,) = sink.to("north@example.com")
    assert mail["Subject"] == "Weekly digest, week 45, 2 Nov 2026 to 8 Nov 2026"
    body = mail.get_body(("plain",)).get_content()
    assert "Hello Nia," in body and "NTH North: " in body and "2 audits" in body
    assert f"NTH-001 Leeds, 2 Nov 2026, 11:30  https://audit.example.com/audits/{week_of_audits}" in body
    assert "Action plans: 1 open, 0 overdue." in body and "https://audit.example.com/stores/NTH-001/plan" in body
    (pdf,) = list(mail.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename().endswith(".pdf")
    text = pdfs.text(pdf.get_content(), tmp_path)
    assert "North" in text and "NTH-001" in text and "Leeds" in text and "York" in text
    # the south's manager: their own region only, no audits there
    (south,) = sink.to("south@example.com")
    south_body = south.get_body(("plain",)).get_content()
    assert "STH South: no audits" in south_body and "North" not in south_body and "Leeds" not in south_body
    assert "No new critical failure this week." in south_body
    assert len(list(south.iter_attachments())) == 1
    assert sink.to("owner@example.com") == []
    # the in-app notification of each
    rows = digests(db)
    assert [(u, state) for u, _, state in rows] == [(org.north_manager, "sent"), (org.south_manager, "sent")]
    assert rows[0][1].startswith("Weekly digest, week 45, 2 Nov 2026 to 8 Nov 2026: North ")
    assert "1 new critical failure; 1 action plan open, 0 overdue" in rows[0][1]
    # again: nothing new for anyone
    assert cli.main(["digest", "send", "--week", WEEK]) == 0
    assert f"digest {WEEK}: 0 manager(s) told now, 2 told before; mail: 0 sent" in capsys.readouterr().out
    assert len(sink.messages) == 2 and len(digests(db)) == 2


def test_a_bad_week_is_refused_and_changes_nothing(env, db, org, sink, capsys):
    for bad, words in [
        ("2026-49", "'2026-49' is not a week like 2026-W49"),
        ("W49", "'W49' is not a week like 2026-W49"),
        ("2026-W54", "2026 has no week 54"),
        ("2026-W00", "2026 has no week 0"),
        ("2999-W01", "2999-W01 has not ended yet (it ends on 2999-01-06): a digest tells of a whole week"),
    ]:
        assert cli.main(["digest", "send", "--week", bad]) == 2
        assert capsys.readouterr().err == f"error: {words}\n"
    assert digests(db) == [] and sink.messages == []


def test_the_clock_sends_last_week_s_digest_on_monday_morning_once(db, org, week_of_audits, sink):
    today = db.settings.today()
    next_monday = today + timedelta(days=7 - today.weekday())  # the clock's times are ahead of the rows' own
    monday = datetime(next_monday.year, next_monday.month, next_monday.day, 7, 0, tzinfo=UTC)  # AUDIT_TIMEZONE UTC
    sunday = clock.tick(db, monday - timedelta(hours=11))
    assert sunday.digests is None and sunday.mail.sent == 1  # the plan's opening, to the north's manager
    assert clock.tick(db, monday - timedelta(minutes=1)).digests is None
    done = clock.tick(db, monday)
    assert done.digests.told == 2 and done.mail.sent == 2
    again = clock.tick(db, monday + timedelta(minutes=5))
    assert again.digests.told == 0 and again.mail.sent == 0
    week = digest.last_week(next_monday)
    assert week.last == next_monday - timedelta(days=1)
    assert [m["Subject"] for m in sink.to("south@example.com")] == [f"Weekly digest, {week.label}"]
    assert len(sink.to("north@example.com")) == 2


def test_a_digest_whose_manager_left_before_it_was_mailed_stays_in_the_app(db, org, sink):
    digest.prepare(db, digest.week(WEEK))
    with db.write_session() as session:
        session.execute(sa.delete(models.UserRegion).where(models.UserRegion.user_id == org.south_manager))
    result = digest.deliver_digests(db)
    assert (result.sent, result.not_mailed, result.retrying) == (1, 1, 0)
    assert [m["To"] for m in sink.messages] == ["north@example.com"]
    assert [state for _, _, state in digests(db)] == ["sent", "none"]


def test_audit_clock_runs_a_tick_at_once_and_stops_cleanly_on_sigterm(env, db, org, week_of_audits, sink):
    """The Procfile's clock line, as the platform runs and stops it."""
    clock_process = subprocess.Popen(
        [sys.executable, "-m", "audit.cli", "clock"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not sink.to("north@example.com") and time.monotonic() < deadline:  # the plan's opening, mailed
            time.sleep(0.2)
        clock_process.send_signal(signal.SIGTERM)
        out, err = clock_process.communicate(timeout=30)
    finally:
        clock_process.kill()
    assert clock_process.returncode == 0, err
    assert out.startswith("clock: every 60 s; digests on Mondays from 7:00 UTC") and out.endswith("clock: stopped\n")
    assert re.search(r"mail: [1-9]\d* sent", err) and "@example.com" not in err
    # (on a Monday morning last week's digests go out too)
    subjects = [m["Subject"].split(":")[0] for m in sink.to("north@example.com")]
    assert subjects.count("Action plan opened for NTH-001 Leeds") == 1
