"""Reports and ZIPs made in the background, through a real `audit serve` on both databases:
the Download menu's entries answer, a job shows its progress and completes, a job cut short
by a server killed mid-way completes after the restart, My downloads holds only one's own
files, and nobody fetches anyone else's."""

from __future__ import annotations

import io
import os
import re
import signal
import time
import zipfile
from datetime import timedelta
from html.parser import HTMLParser

import httpx2
import pytest
import sqlalchemy as sa

from audit.services import audits
from audit.services.audits import Submission, Submitter
from audit.services.planning import assignments
from audit.storage import models
from tests import actors, pdfs
from tests.servers import serving

PERIOD = {"from": "2026-10-01", "to": "2026-11-30"}
QUERY = "from=2026-10-01&to=2026-11-30"


def seed(db, org, count: int, store: str = "NTH-001") -> list[str]:
    """`count` audits in the period, one an hour back from the visit's end."""
    submitter = Submitter(db)
    ids = []
    try:
        for n in range(count):
            finished = actors.VISIT_END - timedelta(hours=n)
            if not assignments.may_submit(db, org.shopper, store):
                day = finished.date()
                assignments.add(db, "shopper@example.com", store, org.main.key, day - timedelta(days=30), day)
            body = actors.body(org.main, store=store, finished=finished)
            outcome = audits.submit(db, submitter, Submission.model_validate(body), org.shopper)
            assert outcome.status == "created", outcome.problems
            ids.append(body["id"])
    finally:
        submitter.close()
    return ids


class _Menu(HTMLParser):
    """The Download menu's entries: links (href) and job buttons (their form's fields)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.links: list[str] = []
        self.forms: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "details" and "data-download-menu" in a:
            self.inside += 1
        elif self.inside and tag == "a" and "dl-item" in (a.get("class") or ""):
            self.links.append(a["href"])
        elif self.inside and tag == "form":
            self.forms.append({})
        elif self.inside and tag == "input" and self.forms:
            self.forms[-1][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "details" and self.inside:
            self.inside -= 1


def menu_of(html: str) -> _Menu:
    menu = _Menu()
    menu.feed(html)
    return menu


_OPEN: list[httpx2.Client] = []


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _OPEN:
        _OPEN.pop().close()


def signed_in(base: str, email: str) -> httpx2.Client:
    client = httpx2.Client(base_url=base, timeout=60)
    _OPEN.append(client)
    actors.sign_in(client, email)
    return client


def start(client: httpx2.Client, fields: dict[str, str]) -> str:
    response = client.post("/downloads", data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"]


def wait(client: httpx2.Client, job: str, seconds: float = 120, seen: list | None = None) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        status = client.get(f"{job}.json").json()
        if seen is not None:
            seen.append(status)
        if status["state"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def test_every_entry_of_the_download_menus_answers(db, org, settings, tmp_path):
    ids = seed(db, org, 3, "NTH-001") + seed(db, org, 2, "NTH-002")
    with serving(settings) as (base, _):
        owner = signed_in(base, "owner@example.com")
        # the region page: the report and the ZIP as jobs, the three CSVs as links
        menu = menu_of(owner.get(f"/regions/NTH?{QUERY}&checklist=customer-service").text)
        assert [f["kind"] for f in menu.forms] == ["region", "zip"]
        assert all(f["from"] == "2026-10-01" and f["to"] == "2026-11-30" for f in menu.forms)
        assert all(f["checklist"] == "customer-service" for f in menu.forms)
        assert len(menu.links) == 3 and all("from=2026-10-01" in link for link in menu.links)
        for link in menu.links:
            response = owner.get(link)
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), link
        region = wait(owner, start(owner, menu.forms[0]))
        assert region["state"] == "done" and region["filename"] == "region-NTH-2026-10-01_2026-11-30.pdf"
        text = pdfs.text(owner.get(region["file"]).content, tmp_path)
        assert "North" in text and "Leeds" in text and "York" in text
        batch = wait(owner, start(owner, menu.forms[1]))
        archive = zipfile.ZipFile(io.BytesIO(owner.get(batch["file"]).content))
        assert len(archive.namelist()) == 5 and all(n.startswith("audit-NTH-00") for n in archive.namelist())
        # the behaviours page offers the same
        assert len(menu_of(owner.get(f"/regions/NTH/behaviours?{QUERY}").text).forms) == 2
        # the store page: the report and the CSV as links, the ZIP as a job
        menu = menu_of(owner.get(f"/stores/NTH-001?{QUERY}").text)
        assert [f["kind"] for f in menu.forms] == ["zip"] and menu.forms[0]["scope"] == "store"
        report, csv = menu.links
        assert "Leeds" in pdfs.text(owner.get(report).content, tmp_path)
        lines = owner.get(csv).content.decode("utf-8-sig").splitlines()
        assert len(lines) == 4 and all(",NTH-001," in line for line in lines[1:])
        store_zip = wait(owner, start(owner, menu.forms[0]))
        assert len(zipfile.ZipFile(io.BytesIO(owner.get(store_zip["file"]).content)).namelist()) == 3
        # the company page: the company report
        menu = menu_of(owner.get(f"/regions?{QUERY}").text)
        assert [f["kind"] for f in menu.forms] == ["company"]
        company = wait(owner, start(owner, menu.forms[0]))
        text = pdfs.text(owner.get(company["file"]).content, tmp_path)
        assert "Company report" in text and "Regions ranked" in text and "Critical failures" in text
        assert "North" in text and "South" in text
        # the audit page: the PDF and the store's copy
        menu = menu_of(owner.get(f"/audits/{ids[0]}").text)
        assert menu.links == [f"/audits/{ids[0]}.pdf", f"/audits/{ids[0]}.pdf?for=store"]
        assert "Leeds" in pdfs.text(owner.get(menu.links[1]).content, tmp_path)
        # My downloads lists the four files
        page = owner.get("/downloads").text
        assert page.count('class="dl-title"') == 4 and page.count("/file") == 4
        # a shopper sees no menu on an audit page
        shopper = signed_in(base, "shopper@example.com")
        assert "data-download-menu" not in shopper.get(f"/audits/{ids[0]}").text


def test_a_zip_job_shows_its_progress_and_completes(db, org, settings, monkeypatch):
    seed(db, org, 12)
    monkeypatch.setenv("AUDIT_REPORT_WORKERS", "1")
    with serving(settings) as (base, _):
        owner = signed_in(base, "owner@example.com")
        fields = {"csrf_token": actors.csrf_of(owner.get("/downloads").text), "kind": "zip", "code": "NTH", **PERIOD}
        job = start(owner, fields)
        page = owner.get(job).text
        assert "<progress" in page and "data-status" in page and 'http-equiv="refresh"' in page  # the no-script refresh
        seen: list[dict] = []
        done = wait(owner, job, seen=seen)
        assert done["state"] == "done" and done["percent"] == 100
        partway = [s for s in seen if s["state"] == "running" and 0 < s["done"] < s["total"]]
        assert partway, seen
        assert re.fullmatch(r"Preparing 12 audits… \d{1,2} %", partway[0]["text"])
        assert "Download ZIP" in owner.get(job).text
        # the same ask again while one runs is the same job; a new one once it is done
        assert start(owner, fields) != job


def _kill(process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_a_job_cut_short_by_a_server_killed_mid_way_completes_after_the_restart(db, org, settings, monkeypatch):
    seed(db, org, 16)
    monkeypatch.setenv("AUDIT_REPORT_WORKERS", "1")
    with serving(settings) as (base, process):
        owner = signed_in(base, "owner@example.com")
        fields = {"csrf_token": actors.csrf_of(owner.get("/downloads").text), "kind": "zip", "code": "NTH", **PERIOD}
        job = start(owner, fields)
        deadline = time.monotonic() + 60
        while (status := owner.get(f"{job}.json").json())["done"] < 3:
            assert status["state"] in ("queued", "running") and time.monotonic() < deadline, status
            time.sleep(0.1)
        _kill(process)  # the server and its PDF workers, at once, mid-job
    with db.session() as session:
        row = session.get(models.ReportJob, job.rsplit("/", 1)[1])
        assert row.state == "running" and 3 <= row.done < 16 and row.attempt == 1
    with serving(settings) as (base, _):
        owner = signed_in(base, "owner@example.com")
        seen: list[dict] = []
        done = wait(owner, job, seen=seen)
        assert done["state"] == "done", done
        archive = zipfile.ZipFile(io.BytesIO(owner.get(done["file"]).content))
        assert len(archive.namelist()) == 16 and archive.testzip() is None
    with db.session() as session:
        row = session.get(models.ReportJob, job.rsplit("/", 1)[1])
        assert row.attempt == 2 and row.size == sum(
            len(c)
            for c in session.scalars(
                sa.select(models.ReportJobChunk.data).where(models.ReportJobChunk.job_id == row.id)
            )
        )


def test_my_downloads_are_mine_alone_and_nobody_fetches_another_ones_file(db, org, client_for):
    seed(db, org, 2, "NTH-001")
    seed(db, org, 1, "STH-001")
    owner, north, south = (
        client_for("owner@example.com"),
        client_for("north@example.com"),
        client_for("south@example.com"),
    )

    def ask(client, **fields: str) -> object:
        token = actors.csrf_of(client.get("/downloads").text)
        return client.post("/downloads", data={"csrf_token": token, **PERIOD, **fields})

    made = ask(north, kind="zip", code="NTH")
    assert made.status_code == 303
    job = made.headers["location"]
    deadline = time.monotonic() + 120
    while (status := north.get(f"{job}.json").json())["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status["state"] == "done"
    assert north.get(status["file"]).status_code == 200
    assert job in north.get("/downloads").text
    # another manager, even the owner, sees nothing of it: 404 like a job that does not exist
    for other in (south, owner):
        assert job not in other.get("/downloads").text
        for path in (job, f"{job}.json", f"{job}/file"):
            assert other.get(path).status_code == 404, path
    assert south.get("/downloads/not-a-job").status_code == 404
    # another region's report or ZIP cannot be asked for
    assert ask(south, kind="zip", code="NTH").status_code == 404
    assert ask(south, kind="region", code="NTH").status_code == 404
    assert ask(north, kind="zip", scope="store", code="STH-001").status_code == 404
    assert ask(north, kind="nonsense", code="NTH").status_code == 404
    assert ask(north, kind="zip", code="NTH", **{"from": "2026-13-01"}).status_code == 422
    # a shopper has no downloads at all
    shopper = client_for("shopper@example.com")
    assert shopper.get("/downloads").status_code == 403


def test_a_managers_company_report_covers_their_regions_only(db, org, client_for, tmp_path):
    seed(db, org, 2, "NTH-001")
    seed(db, org, 1, "STH-001")
    north = client_for("north@example.com")
    response = north.get(f"/company/report.pdf?{QUERY}")
    assert response.status_code == 200
    text = pdfs.text(response.content, tmp_path)
    assert "Report of your regions" in text and "North" in text and "Brighton" not in text
    owner_text = pdfs.text(client_for("owner@example.com").get(f"/company/report.pdf?{QUERY}").content, tmp_path)
    assert "Company report" in owner_text and "Brighton" in owner_text and "Leeds" in owner_text


@pytest.mark.parametrize("hours", [1, 48])
def test_files_are_deleted_once_their_time_is_up(db, org, hours):
    from audit.services.access import Viewer
    from audit.services.reports import jobs

    seed(db, org, 1)
    owner = Viewer(org.owner, "owner@example.com", "Owner", "owner")
    from audit.domain.periods import Period

    job_id = jobs.submit(
        db, None, owner, "region", "NTH", Period(actors.VISIT_END.date(), actors.VISIT_END.date(), "UTC"), ""
    )
    past = models.now() - timedelta(hours=hours)
    with db.write_session() as session:
        row = session.get(models.ReportJob, job_id)
        row.state, row.expires_at = "done", past
        session.add(models.ReportJobChunk(job_id=job_id, attempt=1, seq=0, data=b"%PDF-"))
    queue = jobs.JobQueue(db, lambda: None)  # type: ignore[arg-type,return-value]
    try:
        queue.sweep()
    finally:
        queue.stop()
    with db.session() as session:
        assert session.get(models.ReportJob, job_id) is None
        assert session.scalar(sa.select(sa.func.count()).select_from(models.ReportJobChunk)) == 0
