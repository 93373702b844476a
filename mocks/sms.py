"""The SMS gateway: sends text messages and keeps what it sent, readable through its API.

Nothing leaves the machine: "sending" appends the message to a bounded log, which tests and
developers read back (`GET /messages?to=...`) to see the code a person received.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import datetime
from itertools import count

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, error_json
from mocks.model import LOCAL_TZ
from mocks.service import ServiceContext, service_app
from mocks.specs.sms import SPEC

KEPT_MESSAGES = 10_000
MAX_TEXT = 480  # three concatenated SMS segments
PHONE = re.compile(r"^0[0-9]{9}$")


def _message(data: object) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise BadRequest('The request body must be an object {"to": string, "text": string}.')
    to, text = data.get("to"), data.get("text")
    if not isinstance(to, str) or not PHONE.match(to):
        raise BadRequest("to must be a mobile number of 10 digits starting with 0.")
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
        raise BadRequest(f"text must be a non-empty string of at most {MAX_TEXT} characters.")
    return to, text


def create_app(ctx: ServiceContext) -> Starlette:
    """The SMS gateway's sub-app."""
    sent: OrderedDict[str, dict[str, str]] = OrderedDict()
    numbers = count(1)

    async def send(request: Request) -> Response:
        try:
            to, text = _message(orjson.loads(await request.body()))
        except orjson.JSONDecodeError:
            raise BadRequest("The request body must be JSON.") from None
        message = {
            "id": f"SMS{next(numbers):08d}",
            "to": to,
            "text": text,
            "sentAt": datetime.now(LOCAL_TZ).isoformat(),
            "status": "sent",
        }
        sent[message["id"]] = message
        while len(sent) > KEPT_MESSAGES:
            sent.popitem(last=False)
        return ORJSONResponse(message, status_code=201)

    async def messages(request: Request) -> Response:
        if request.method == "POST":
            return await send(request)
        to = request.query_params.get("to", "").strip()
        if not to:
            return error_json(400, "invalid_request", "The to parameter is required.")
        return ORJSONResponse({"messages": [m for m in sent.values() if m["to"] == to]})

    async def message(request: Request) -> Response:
        found = sent.get(request.path_params["id"])
        return ORJSONResponse(found) if found else error_json(404, "not_found")

    routes = [
        Route("/messages", messages, methods=["GET", "POST"]),
        Route("/messages/{id}", message, methods=["GET"]),
    ]
    return service_app(ctx, routes, SPEC)
