"""CSV downloads (written by `services.exports.csv_lines`, the one CSV writer) and JSON twins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from audit.services.scores import comparison, exports, stores
from audit.web.api import json_response
from audit.web.auth import viewer_of
from audit.web.dashboards import build, period_of


async def _stream(lines: Iterator[str]) -> AsyncIterator[bytes]:
    async for line in iterate_in_threadpool(lines):
        yield line.encode("utf-8")


def _download(name: str, header: list[str], rows: Iterator[list[Any]]) -> Response:
    response = StreamingResponse(_stream(exports.csv_lines(header, rows)), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _stamp(request: Request) -> str:
    period = period_of(request)
    return f"{period.first.isoformat()}_{period.last.isoformat()}"


async def comparison_csv(request: Request) -> Response:
    code = request.path_params["code"]
    result = await build(request, comparison.branch_comparison, period_of(request))
    header = ["rank", "store", "name", "score", "audits", "previous_score", "change", *exports.PLAN_HEADER]
    header += [f"section_{key}" for key, _ in result.sections]
    rows = (
        [
            r.rank,
            r.code,
            r.name,
            r.score.score if r.score else None,
            r.score.count if r.score else 0,
            r.previous.score if r.previous else None,
            r.change,
            *exports.plan_cells(r.plans),
            *[r.sections.get(key) for key, _ in result.sections],
        ]
        for r in result.rows
    )
    return _download(f"comparison-{code.upper()}-{_stamp(request)}.csv", header, rows)


async def audits_csv(request: Request) -> Response:
    code = request.path_params["code"]
    rows = exports.audit_rows(request.app.state.db, viewer_of(request), code, period_of(request))
    first = await run_in_threadpool(next, rows, None)  # raises NotFound before the download starts
    return _download(f"audits-{code.upper()}-{_stamp(request)}.csv", exports.AUDIT_HEADER, _chain(first, rows))


async def answers_csv(request: Request) -> Response:
    code = request.path_params["code"]
    rows = exports.answer_rows(request.app.state.db, viewer_of(request), code, period_of(request))
    first = await run_in_threadpool(next, rows, None)
    return _download(f"answers-{code.upper()}-{_stamp(request)}.csv", exports.ANSWER_HEADER, _chain(first, rows))


def _chain(first: list[Any] | None, rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    if first is not None:
        yield first
        yield from rest


class PlanFiguresOut(BaseModel):
    """A store's action plan figures: its plan not closed (at most one), and its repeat failures."""

    state: str | None = Field(description="open, submitted or accepted; null when no plan is open")
    overdue: bool = Field(description="a due date passed before submission or verification")
    behaviours: int = Field(description="failed behaviours in the open plan")
    fixed: int = Field(description="of them, verified fixed by a later counted audit")
    still_failing: int = Field(description="of them, failed again by a later counted audit")
    repeat_failures: int = Field(description="behaviours failed in two counted audits in a row in the period")


class PlanTotalsOut(BaseModel):
    """The region's action plan figures, summed over its stores."""

    open: int = Field(description="stores with an open plan (open, submitted or accepted)")
    overdue: int = Field(description="of them, plans overdue")
    repeat_failures: int = Field(description="behaviours failed in two counted audits in a row, all stores")


class BranchOut(BaseModel):
    rank: int | None
    store: str
    name: str
    score: float | None = Field(description="mean of the store's audit scores, percent; null without audits")
    audits: int
    previous_score: float | None
    change: float | None
    sections: dict[str, float | None]
    plan: PlanFiguresOut


class ComparisonOut(BaseModel):
    """The branch comparison of a region (`?period=30d|90d|quarter` or `?from=&to=`, `?checklist=`)."""

    region: str
    first_day: str
    last_day: str
    checklist: str
    score: float | None
    audits: int
    plans: PlanTotalsOut
    branches: list[BranchOut]


class MonthOut(BaseModel):
    month: str
    score: float | None
    audits: int


class StoreScoresOut(BaseModel):
    """A store's scores for a period (`?period=` or `?from=&to=`, `?checklist=`)."""

    store: str
    first_day: str
    last_day: str
    score: float | None
    audits: int
    previous_score: float | None
    sections: dict[str, float | None]
    months: list[MonthOut]
    plan: PlanFiguresOut


async def comparison_json(request: Request) -> Response:
    result = await build(request, comparison.branch_comparison, period_of(request))
    return json_response(
        ComparisonOut(
            region=result.region,
            first_day=result.period.first.isoformat(),
            last_day=result.period.last.isoformat(),
            checklist=result.checklist,
            score=result.score.score if result.score else None,
            audits=result.score.count if result.score else 0,
            plans=PlanTotalsOut(**asdict(result.plans)),
            branches=[
                BranchOut(
                    rank=r.rank,
                    store=r.code,
                    name=r.name,
                    score=r.score.score if r.score else None,
                    audits=r.score.count if r.score else 0,
                    previous_score=r.previous.score if r.previous else None,
                    change=r.change,
                    sections=r.sections,
                    plan=PlanFiguresOut(**asdict(r.plans)),
                )
                for r in result.rows
            ],
        )
    )


async def store_scores_json(request: Request) -> Response:
    result = await build(request, stores.report, period_of(request))
    return json_response(
        StoreScoresOut(
            store=result.code,
            first_day=result.period.first.isoformat(),
            last_day=result.period.last.isoformat(),
            score=result.score.score if result.score else None,
            audits=result.score.count if result.score else 0,
            previous_score=result.previous.score if result.previous else None,
            sections={key: value for key, _, value in result.sections},
            months=[
                MonthOut(month=m, score=a.score if a else None, audits=a.count if a else 0) for m, a in result.months
            ],
            plan=PlanFiguresOut(**asdict(result.plans)),
        )
    )
