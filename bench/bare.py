"""The baseline: a bare Starlette JSON POST endpoint, served exactly like the app."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def echo(request: Request) -> JSONResponse:
    data = await request.json()
    return JSONResponse({"id": data["id"]}, status_code=201)


app = Starlette(routes=[Route("/api/audits", echo, methods=["POST"])])
