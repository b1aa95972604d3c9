import pytest

from audit import settings as settings_module
from audit.services import audits, reports
from audit.services.access import Viewer
from audit.services.audits import Submission, Submitter
from audit.services.reports import BUILDER
from audit.services.reports.job import Job, ReportFailed
from audit.services.reports.pdf import Refused, ReportFetcher, render_pdf
from audit.services.reports.pool import RenderPool
from audit.settings import ROOT, Settings, SettingsError
from audit.storage.db import Database
from tests import actors, pdfs

IMG = '<img src="file:///etc/passwd">'
LINK = "<link rel=stylesheet href=http://attacker.example/x.css>"


def owner_of(org) -> Viewer:
    return Viewer(org.owner, "owner@example.com", "Olive", "owner")


def stored_audit(db, org, notes="Quiet Monday morning.", **answers) -> str:
    given = actors.answers_for(org.main)
    given.update(answers)
    body = actors.body(org.main, answers=given, notes=notes)
    submitter = Submitter(db)
    try:
        assert audits.submit(db, submitter, Submission.model_validate(body), org.shopper).status == "created"
    finally:
        submitter.close()
    return body["id"]


def test_shopper_text_is_printed_as_text_and_the_fetcher_is_never_asked_for_its_urls(db, org, tmp_path):
    audit_id = stored_audit(
        db,
        org,
        notes=f"{LINK} <style>@import url(https://attacker.example/a.css)</style>",
        greeting_notes={"value": IMG},
        warm_greeting={"value": "no", "comment": f'{IMG}<iframe src="http://attacker.example/"></iframe>'},
    )
    job = reports.audit_report(db, owner_of(org), audit_id).job
    fetcher = ReportFetcher(job.resources)
    text = pdfs.text(render_pdf(job, fetcher), tmp_path)
    assert IMG in text and LINK in text and "@import url(https://attacker.example/a.css)" in text
    assert fetcher.asked, "the report's own stylesheet and fonts come through the fetcher"
    assert all(url.startswith("audit:/static/") for url in fetcher.asked), fetcher.asked
    assert not [
        url for url in fetcher.asked if "passwd" in url or "attacker" in url or url.startswith(("file", "http"))
    ]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://attacker.example/x.css",
        "https://attacker.example/x.png",
        "data:text/css,body{}",
        "ftp://attacker.example/x",
        "audit:/static/../audit/settings.py",
        "audit:/static/../../../../etc/passwd",
        "audit:/static/css/nothing-here.css",
        "audit:/photos/not-in-this-report",
    ],
)
def test_the_fetcher_refuses_every_url_but_our_static_files_and_the_reports_own_photos(url):
    with pytest.raises(Refused):
        ReportFetcher().fetch(url)


def test_the_fetcher_serves_our_fonts_and_stylesheet():
    fetcher = ReportFetcher()
    assert fetcher.fetch("audit:/static/fonts/DejaVuSans.ttf").read()[:4] == b"\x00\x01\x00\x00"
    assert b"@font-face" in fetcher.fetch("audit:/static/reports/report.css").read()


def test_markup_that_would_fetch_is_refused_even_when_it_reaches_weasyprint(tmp_path):
    fetcher = ReportFetcher()
    html = f'{IMG}{LINK}<p style="background: url(file:///etc/hostname)">still rendered</p>'
    assert "still rendered" in pdfs.text(render_pdf(Job(html), fetcher), tmp_path)
    assert set(fetcher.asked) == {"file:///etc/passwd", "http://attacker.example/x.css", "file:///etc/hostname"}


def test_a_worker_past_the_time_limit_is_replaced_and_the_pool_goes_on():
    pool = RenderPool(Settings(report_workers=1, report_timeout_seconds=0.001), BUILDER)
    try:
        with pytest.raises(ReportFailed, match=r"took longer than the 0\.001 seconds allowed"):
            pool.render(Job("<p>slow</p>" * 500))
        pool.timeout = 60
        assert pool.render(Job("<p>fine</p>")).pdf.startswith(b"%PDF-")
    finally:
        pool.close()


def test_a_report_that_needs_more_memory_than_the_cap_fails_clearly():
    pool = RenderPool(Settings(report_workers=1, report_memory_mb=120), BUILDER)  # less than WeasyPrint loaded holds
    try:
        with pytest.raises(ReportFailed) as failure:
            pool.render(Job("<table>" + "<tr><td>cell</td></tr>" * 20_000 + "</table>"))
        assert "memory" in failure.value.message
    finally:
        pool.close()


def test_a_batch_renders_in_order_and_lists_a_failure_without_stopping(db, org):
    good = stored_audit(db, org)
    entries = [("a.pdf", good), ("b.pdf", "no-such-audit"), ("c.pdf", good)]
    batch = reports.Batch("x.zip", entries, owner_of(org))
    pool = RenderPool(db.settings, BUILDER)
    try:
        results = list(pool.render_many(batch.orders()))
    finally:
        pool.close()
    assert [name for name, _ in results] == ["a.pdf", "b.pdf", "c.pdf"]
    (_, first), (_, missing), (_, last) = results
    assert (first.startswith(b"%PDF-") and last == first) or last.startswith(b"%PDF-")
    assert isinstance(missing, ReportFailed) and "no audit no-such-audit" in missing.message


def test_brand_name_logo_accent_and_letter_paper_come_from_settings(settings, org, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
    )
    branded = settings.with_(
        brand_name="Ωmega Stores", brand_accent="#8a1538", brand_logo=logo, report_page_size="Letter"
    )
    db = Database(branded)
    try:
        job = reports.audit_report(db, owner_of(org), stored_audit(db, org)).job
        assert "--accent: #8a1538" in job.html and job.resources["audit:/brand/logo"].data == logo.read_bytes()
        pdf = render_pdf(job)
    finally:
        db.dispose()
    assert "Ωmega Stores" in pdfs.text(pdf, tmp_path)
    meta = pdfs.info(pdf, tmp_path)
    assert meta["Author"] == "Ωmega Stores" and "(letter)" in meta["Page size"]


@pytest.mark.parametrize(
    "env",
    [
        {"AUDIT_REPORT_PAGE_SIZE": "A3"},
        {"AUDIT_BRAND_ACCENT": "red; } body { display: none"},
        {"AUDIT_BRAND_LOGO": "/etc/passwd"},
        {"AUDIT_REPORT_MEMORY_MB": "16"},
        {"AUDIT_REPORT_TIMEOUT_SECONDS": "0"},
    ],
)
def test_report_settings_are_checked_at_start(env):
    with pytest.raises(SettingsError, match=next(iter(env))):
        settings_module.from_env(env)


def test_report_settings_have_print_ready_defaults():
    s = settings_module.from_env(
        {"AUDIT_REPORT_PAGE_SIZE": "letter", "AUDIT_BRAND_LOGO": str(ROOT / "static/icon.svg")}
    )
    assert s.report_page_size == "Letter" and s.brand_logo == ROOT / "static/icon.svg" and s.brand_accent == "#0b5cad"
