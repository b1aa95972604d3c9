"""The board's reports: the region report (a summary page up front, stores named with codes,
heatmap pages filled) and the company report."""

from __future__ import annotations

import re
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

A4_HEATMAP = builders.HEATMAP_AREA["A4"]["wide"]


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


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_rankings_rows_leave_every_page_two_thirds_full_at_some_row_height(paper):
    for count in range(builders.RANKING_ON_SUMMARY + 1, 400):
        fills = []
        for density, (first, then) in builders.RANKING_ROWS[paper].items():
            sizes = builders.ranking_pages(count, paper, density)
            holds = [first] + [then] * (len(sizes) - 1)
            assert sum(sizes) == count and sizes[-1] <= holds[-1] - builders.LEGEND_ROWS[density], (
                count,
                density,
                sizes,
            )
            assert all(size <= hold for size, hold in zip(sizes, holds, strict=True)), (count, density, sizes)
            fills.append(min(size / hold for size, hold in zip(sizes, holds, strict=True)))
        assert max(fills) >= 2 / 3, (count, fills)


def test_a_heatmap_just_over_a_page_is_shared_evenly_not_left_with_a_near_empty_page():
    stores = [(f"NTH-{n:03}", f"Store {n}") for n in range(112)]
    rows = heat_rows([code for code, _ in stores], items=28)
    plan = charts.heatmap_plan(stores, rows, *A4_HEATMAP)
    assert min(plan.fills) >= 0.8, plan.fills
    shared = charts.heatmap_plan(stores, rows, *A4_HEATMAP, occupied_mm=60)
    assert shared.follows and shared.fills[0] > 60 / A4_HEATMAP[1]  # blocks under what the page held
    assert len(shared.fills) <= len(plan.fills) + 1


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
    assert "Stores 1 to 2 of 2" in rest, rest
    (tmp_path / "region.pdf").write_bytes(pdf)
    layout = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "region.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    heads = re.search(r"BEHAVIOUR +NTH-001 +NTH-002\n +Leeds +York\n", layout)
    assert heads, layout  # each column headed by the store's code and, under it, its name


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


def test_the_region_report_shows_each_stores_action_plan_and_the_regions_repeat_failures(db, org, put_audit, tmp_path):
    import re
    from datetime import timedelta

    from audit.services.plans import views as plan_views
    from audit.services.scores import comparison
    from tests import actors

    failing = {i.key: "no" for i in org.main.items if i.type == "yesno"}
    put_audit("NTH-001", actors.VISIT_END - timedelta(days=1), **failing)  # weak: opens Leeds's plan
    put_audit("NTH-001", actors.VISIT_END, **failing)  # the same behaviours missed again: repeat failures
    put_audit("NTH-002", actors.VISIT_END)
    period = periods.Period(org_day() - timedelta(days=1), org_day(), "UTC")
    rows = {r.code: r.plans for r in comparison.branch_comparison(db, owner_of(org), "NTH", period).rows}
    figures = plan_views.totals(rows.values())
    assert figures.open == 1 and figures.repeat_failures == rows["NTH-001"].repeat_failures > 0
    pdf = render_pdf(reports.region_report(db, owner_of(org), "NTH", period).job)
    text = pdfs.text(pdf, tmp_path)
    assert f"Action plans: 1 open, {figures.overdue} overdue; {figures.repeat_failures} repeat failures" in text
    assert "Rep.: repeat failures" in text
    (tmp_path / "region.pdf").write_bytes(pdf)
    layout = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "region.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout  # a table row on one line
    state = "overdue" if rows["NTH-001"].overdue else "open"
    assert re.search(rf"Leeds NTH-001 .* {state} +{figures.repeat_failures}\n", layout), layout  # its ranking row
    assert re.search(r"York NTH-002 .* – +–\n", layout), layout  # no plan, no repeat failure


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
