"""The limit: a bare Starlette endpoint on the gateway's server settings, answering S1's body.

`uvicorn bench.limit:app` with the same flags as the gateway; `LIMIT_BODY_FILE` names a file
holding the exact response body of an S1 scan. The request body is read, as the gateway reads it.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["LIMIT_BODY_FILE"]).read_bytes()


async def graphql(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)])
