"""The board's reports: the region report (a summary page up front, stores named with codes,
heatmap pages filled) and the company report."""

from __future__ import annotations

import subprocess

import pytest

from audit import charts
from audit.domain import periods
from audit.services import reports
from audit.services.access import Viewer
from audit.services.reports import builders
from audit.services.reports.pdf import render_pdf
from tests import pdfs
from tests.services.reports.test_rendering import owner_of, stored_audit

A4_HEATMAP = builders.HEATMAP_AREA["A4"]


def heat_rows(stores: list[str], items: int = 36, sections: int = 7) -> list[charts.HeatRow]:
    return [
        charts.HeatRow(
            f"Section {n * sections // items}",
            f"Behaviour {n} " + "with a long question " * (n % 4),
            {s: (n * 7 + i) % 101 for i, s in enumerate(stores)},
        )
        for n in range(items)
    ]


@pytest.mark.parametrize("count", [2, 8, 17, 18, 40, 50, 125, 300])
def test_heatmap_pages_are_filled_with_no_lone_row_and_every_cell_once(count):
    stores = [(f"NTH-{n:03}", f"Store number {n}") for n in range(count)]
    rows = heat_rows([code for code, _ in stores])
    sheets = charts.heatmap_sheets(stores, rows, *A4_HEATMAP, "#0b5cad")
    room = A4_HEATMAP[1] * charts.PT_PER_MM
    seen: dict[str, int] = {}
    for number, sheet in enumerate(sheets, start=1):
        used = sum(block.height for block in sheet)
        assert used <= room + 0.5, (number, used, room)
        if len(sheets) > 1:
            assert used >= room * 2 / 3, f"page {number} of {len(sheets)} is {1 - used / room:.0%} empty"
        for block in sheet:
            behaviours = [line for line in block.grid.lines if not line.section]
            assert len(behaviours) >= min(charts.MIN_ROWS, len(rows)), "a block with a lone row"
            assert not block.grid.lines[-1].section  # never a section's title at a block's foot
            assert [code for code, _ in block.key] == block.grid.columns
            assert all(name == f"Store number {int(code[4:])}" for code, name in block.key)
            for line in behaviours:
                for code in block.grid.columns:
                    seen[f"{code}:{line.label[0]}"] = seen.get(f"{code}:{line.label[0]}", 0) + 1
    assert len(seen) == count * len(rows) and set(seen.values()) == {1}


def test_as_few_pages_as_the_blocks_need():
    stores = [(f"NTH-{n:03}", f"Store {n}") for n in range(125)]
    rows = heat_rows([code for code, _ in stores], items=30)
    sheets = charts.heatmap_sheets(stores, rows, *A4_HEATMAP, "#000000")
    room = A4_HEATMAP[1] * charts.PT_PER_MM
    used = sum(block.height for sheet in sheets for block in sheet)
    assert len(sheets) <= -(-used // room) + 1
    assert len(sheets) < len(charts.heatmap_pages([c for c, _ in stores], rows, *A4_HEATMAP, "#000000"))


@pytest.mark.parametrize("count", [20, 36, 40, 50, 80, 100, 125, 300])
def test_the_rankings_row_height_leaves_its_last_page_two_thirds_full(count):
    density = builders.ranking_density(count, "A4")
    first, then = builders.RANKING_ROWS["A4"][density]
    last = count if count <= first else (count - first - 1) % then + 1
    assert count <= 26 or last >= 2 / 3 * (first if count <= first else then), (count, density)


def test_the_region_report_leads_with_a_summary_page_and_names_stores_with_codes(db, org, tmp_path):
    stored_audit(db, org)
    period = periods.Period(org_day(), org_day(), "UTC")
    pdf = render_pdf(reports.region_report(db, owner_of(org), "NTH", period).job)
    first = page_text(pdf, tmp_path, 1)
    for words in (
        "North NTH",
        "Stores by band",
        "weakest behaviours",
        "Branch ranking",
        "Leeds NTH-001",
        "York NTH-002",
    ):
        assert words in first, words  # a ranking this short is on page one, unaudited stores too
    rest = pdfs.text(pdf, tmp_path)
    assert "Stores 1 to 2 of 2" in rest and "NTH-001 Leeds" in rest  # the heatmap's key of names


def test_a_larger_regions_summary_names_its_best_and_weakest_stores(db, org, tmp_path):
    from audit.services.company import organisation

    for n in range(3, 15):
        organisation.add_store(db, f"NTH-{n:03}", f"Town {n}", "NTH")
    stored_audit(db, org)
    period = periods.Period(org_day(), org_day(), "UTC")
    pdf = render_pdf(reports.region_report(db, owner_of(org), "NTH", period).job)
    first = page_text(pdf, tmp_path, 1)
    assert "Best stores" in first and "Leeds NTH-001" in first and "Branch ranking" not in first
    assert "Branch ranking" in page_text(pdf, tmp_path, 2)


def test_the_company_report_ranks_regions_and_lists_critical_failures(db, org, tmp_path):
    stored_audit(db, org)
    critical = next(item for item in org.main.items if item.critical)
    stored_audit(db, org, **{critical.key: {"value": "no"}})
    period = periods.Period(org_day(), org_day(), "UTC")
    owner = reports.company_report(db, owner_of(org), period)
    assert owner.filename == f"company-{org_day()}_{org_day()}.pdf"
    text = pdfs.text(render_pdf(owner.job), tmp_path)
    for words in ("Company report", "Regions ranked", "North NTH", "South STH", "Best stores", "Critical failures"):
        assert words in text, words
    assert "1 audit failed a critical item" in text and critical.question[:30] in text
    manager = Viewer(org.south_manager, "south@example.com", "Sam", "manager", frozenset({south_id(db)}))
    text = pdfs.text(render_pdf(reports.company_report(db, manager, period).job), tmp_path)
    assert "Report of your regions" in text and "North" not in text and "Leeds" not in text


def org_day():
    from tests import actors

    return actors.VISIT_END.date()


def south_id(db) -> int:
    import sqlalchemy as sa

    from audit.storage import models

    with db.session() as session:
        return session.scalar(sa.select(models.Region.id).where(models.Region.code == "STH"))


def page_text(pdf: bytes, folder, page: int) -> str:
    path = folder / "page.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(out.stdout.split())
