"""The district workforce registry: enterprises, their worker lists and the lists' approval.

REST JSON over `mocks.worker_lists.Registry`; `docs/upstreams.md` and the OpenAPI document
(`mocks/specs/workforce.py`) describe every endpoint. Mutations name who made them (`by`, the
caller's subject as the gateway knows it) and may carry `expectedVersion` for optimistic locking.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, check_ids, note_ids
from mocks.enterprises import Enterprise, build_workforce, district_name
from mocks.live import ChangeLog, changes_route, json_object
from mocks.service import ServiceContext, service_app
from mocks.specs.workforce import MAX_PAGE, SPEC
from mocks.worker_lists import Refusal, Registry, WorkerList

_STATES = ("DRAFT", "SUBMITTED", "APPROVED", "REJECTED")


def enterprise_json(enterprise: Enterprise) -> dict[str, object]:
    """The registry's enterprise object."""
    return {
        "id": enterprise.id,
        "name": enterprise.name,
        "district": enterprise.district,
        "districtName": district_name(enterprise.district),
        "headcount": enterprise.headcount,
        "approvedQuota": enterprise.approved_quota,
        "conditions": list(enterprise.conditions),
    }


def list_json(worker_list: WorkerList) -> dict[str, object]:
    """The registry's worker-list object (without its workers: those are paged)."""
    stamp = worker_list.decided_at
    return {
        "id": worker_list.id,
        "enterpriseId": worker_list.enterprise.id,
        "district": worker_list.enterprise.district,
        "name": worker_list.name,
        "state": worker_list.state,
        "version": worker_list.version,
        "workerCount": len(worker_list.workers),
        "createdAt": worker_list.created_at.isoformat(),
        "updatedAt": worker_list.updated_at.isoformat(),
        "submittedAt": worker_list.submitted_at.isoformat() if worker_list.submitted_at else None,
        "decidedAt": stamp.isoformat() if stamp else None,
        "decidedBy": worker_list.decided_by,
        "rejectionReason": worker_list.rejection_reason,
    }


def _refused(refusal: Refusal) -> Response:
    return ORJSONResponse(
        {"error": refusal.code, "message": refusal.message, **refusal.details}, status_code=409
    )


def _text(body: dict[str, Any], name: str, *, limit: int = 200) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(f"{name} must be a non-empty string of at most {limit} characters.")
    return value.strip()


def _version(body: dict[str, Any]) -> int | None:
    version = body.get("expectedVersion")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise BadRequest("expectedVersion must be an integer.")
    return version


def _person_ids(request: Request, body: dict[str, Any], known: set[str] | Any) -> list[str]:
    ids = body.get("personIds")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest('The body must carry "personIds": [string, ...].')
    unique = check_ids(request, ids)
    unknown = [pid for pid in unique if pid not in known]
    if unknown:
        raise BadRequest(f"Unknown person ids: {', '.join(unknown[:20])}.")
    return unique


def _ids_body(body: dict[str, Any], request: Request) -> list[str]:
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest('The body must be an object {"ids": [string, ...]}.')
    return check_ids(request, ids)


class WorkforceApi:
    """The registry's HTTP handlers, over this app's own registry."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.log = ChangeLog()
        self.registry = Registry(build_workforce(ctx.dataset, ctx.settings.seed), self.log)
        self.persons = ctx.dataset.persons

    def routes(self) -> list[Route]:
        """Every endpoint of the OpenAPI document."""
        actions = ("workers", "workers/remove", "submit", "approve", "reject")
        return [
            Route("/enterprises", self.enterprises, methods=["GET"]),
            Route("/enterprises/batch", self.enterprises_batch, methods=["POST"]),
            Route("/enterprises/{id}", self.enterprise, methods=["GET"]),
            Route("/enterprises/{id}/workers", self.enterprise_workers, methods=["GET"]),
            Route("/lists", self.lists, methods=["GET"]),
            Route("/lists", self.create_list, methods=["POST"]),
            Route("/lists/batch", self.lists_batch, methods=["POST"]),
            Route("/lists/{id}", self.get_list, methods=["GET"]),
            Route("/lists/{id}/workers", self.workers, methods=["GET"]),
            Route("/lists/{id}/quota", self.quota, methods=["GET"]),
            *(Route(f"/lists/{{id}}/{a}", self._mutation(a), methods=["POST"]) for a in actions),
            changes_route(self.log),
        ]

    def _list(self, request: Request) -> WorkerList:
        found = self.registry.lists.get(request.path_params["id"])
        if found is None:
            raise HTTPException(404)
        return found

    async def enterprises(self, request: Request) -> Response:
        district = request.query_params.get("district")
        found = [e for e in self.registry.enterprises.values() if district in (None, e.district)]
        return ORJSONResponse({"enterprises": [enterprise_json(e) for e in found]})

    async def enterprises_batch(self, request: Request) -> Response:
        ids = _ids_body(await json_object(request), request)
        known = self.registry.enterprises
        found = [enterprise_json(known[i]) for i in ids if i in known]
        return ORJSONResponse(
            {"enterprises": found, "notFound": [i for i in ids if i not in known]}
        )

    async def enterprise(self, request: Request) -> Response:
        found = self.registry.enterprises.get(request.path_params["id"])
        if found is None:
            raise HTTPException(404)
        return ORJSONResponse(enterprise_json(found))

    async def enterprise_workers(self, request: Request) -> Response:
        enterprise_id = request.path_params["id"]
        if enterprise_id not in self.registry.enterprises:
            raise HTTPException(404)
        return ORJSONResponse({"personIds": self.registry.worker_ids_of(enterprise_id)})

    async def lists(self, request: Request) -> Response:
        params = request.query_params
        enterprise_id, district = params.get("enterpriseId"), params.get("district")
        state = params.get("state")
        if enterprise_id is None and district is None:
            raise BadRequest("Give enterpriseId or district.")
        if state is not None and state not in _STATES:
            raise BadRequest(f"state must be one of {', '.join(_STATES)}.")
        found = self.registry.lists_of(enterprise_id, district, state)
        return ORJSONResponse({"lists": [list_json(wl) for wl in found]})

    async def create_list(self, request: Request) -> Response:
        body = await json_object(request)
        owner = self.registry.enterprises.get(str(body.get("enterpriseId")))
        if owner is None:
            raise BadRequest("enterpriseId must name an enterprise of the registry.")
        created = self.registry.create(owner, _text(body, "name"))
        return ORJSONResponse(list_json(created), status_code=201)

    async def lists_batch(self, request: Request) -> Response:
        ids = _ids_body(await json_object(request), request)
        known = self.registry.lists
        found = [list_json(known[i]) for i in ids if i in known]
        return ORJSONResponse({"lists": found, "notFound": [i for i in ids if i not in known]})

    async def get_list(self, request: Request) -> Response:
        return ORJSONResponse(list_json(self._list(request)))

    async def workers(self, request: Request) -> Response:
        found = self._list(request)
        after = request.query_params.get("after") or "0"
        limit = request.query_params.get("limit") or str(MAX_PAGE)
        if not after.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= MAX_PAGE:
            raise BadRequest(f"after must be a number and limit one from 1 to {MAX_PAGE}.")
        entries = [e for e in found.workers.values() if e.seq > int(after)]
        page = entries[: int(limit)]
        note_ids(request, len(page))
        return ORJSONResponse(
            {
                "workers": [
                    {"personId": e.person_id, "addedAt": e.added_at.isoformat(), "seq": e.seq}
                    for e in page
                ],
                "next": str(page[-1].seq) if len(entries) > len(page) else None,
                "total": len(found.workers),
            }
        )

    async def quota(self, request: Request) -> Response:
        return ORJSONResponse(self.registry.quota(self._list(request)))

    def _mutation(self, action: str) -> Callable[[Request], Awaitable[Response]]:
        async def change(request: Request) -> Response:
            found = self._list(request)
            body = await json_object(request)
            try:
                answer = _apply(self.registry, found, action, body, request, self.persons)
            except Refusal as refusal:
                return _refused(refusal)
            return ORJSONResponse({"list": list_json(found), **answer})

        return change


def create_app(ctx: ServiceContext) -> Starlette:
    """The workforce registry's sub-app (its state is this app's own)."""
    return service_app(ctx, WorkforceApi(ctx).routes(), SPEC)


def _apply(
    registry: Registry,
    worker_list: WorkerList,
    action: str,
    body: dict[str, Any],
    request: Request,
    persons: Any,
) -> dict[str, object]:
    """One mutation of a list; what the answer carries besides the list."""
    version = _version(body)
    if action == "workers":
        ids = _person_ids(request, body, persons)
        added = registry.add(worker_list, ids)
        return {"added": added, "alreadyListed": [pid for pid in ids if pid not in set(added)]}
    if action == "workers/remove":
        ids = _person_ids(request, body, persons)
        removed = registry.remove(worker_list, ids)
        return {"removed": removed, "notListed": [pid for pid in ids if pid not in set(removed)]}
    if action == "submit":
        registry.submit(worker_list, version)
    elif action == "approve":
        registry.approve(worker_list, _text(body, "by"), version)
    elif action == "reject":
        registry.reject(worker_list, _text(body, "by"), _text(body, "reason", limit=500), version)
    else:
        raise BadRequest(f"Unknown action {action!r}.")
    return {}
