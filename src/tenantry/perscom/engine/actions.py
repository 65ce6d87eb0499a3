"""Orion's actions, written once over row sets: every resource and relation gets them all.

Each action opens the request's call (authentication, tenant transaction), checks the
scope PERSCOM checks for it, validates, works, and answers. Validation and look-ups happen
before any write; any error rolls the whole transaction back, so a refused request (a batch
item, a bad foreign key) leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.analyze import BULK_ROWS
from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.platform import get_platform
from tenantry.core.resources.scoped import of_tenant
from tenantry.perscom.engine.announce import announce
from tenantry.perscom.engine.context import Call, CallOpener
from tenantry.perscom.engine.declaration import BelongsToMany
from tenantry.perscom.engine.deferred import present
from tenantry.perscom.engine.includes import IncludeTree, load_includes, parse_includes
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.query import (
    Compiler,
    PageRequest,
    SearchBody,
    fetch_default_page,
    fetch_page,
    fetch_prepared_page,
    page_request,
    parse_search_body,
)
from tenantry.perscom.engine.rowsets import (
    HasManyRowSet,
    ManyRowSet,
    RowSet,
    attach_rows,
    attached_ids,
    detach_rows,
    missing_row,
    pivot_values,
    rowset_for,
    update_pivot,
)
from tenantry.perscom.engine.runtime import INT64_MAX, Compiled, Registry
from tenantry.perscom.engine.serialize import paginated, respond
from tenantry.perscom.engine.writes import (
    Values,
    as_id,
    check_references,
    create_row,
    delete_row,
    read_payload,
    require_object,
    unique_ids,
    update_row,
    validate,
)

MAX_BATCH = 1000


def path_id(request: Request, name: str) -> int:
    """An id from the path; ids beyond the 64-bit range cannot exist (404, not a 500)."""
    value = request.path_params.get(name)
    if not isinstance(value, int) or not 0 < value <= INT64_MAX:
        raise missing_row()
    return value


def optional_path_id(request: Request, name: str) -> int | None:
    return path_id(request, name) if name in request.path_params else None


def list_path(request: Request) -> str:
    """The ``path`` of pagination links: the request URL without its query (built without
    it, rather than built whole and then taken apart again)."""
    return str(URL(scope={**request.scope, "query_string": b""}))


class Actions:
    """The engine's actions for every resource of ``registry``."""

    def __init__(self, registry: Registry, open_call: CallOpener) -> None:
        self.registry = registry
        self.open_call = open_call

    # -- shared steps -------------------------------------------------------------------

    async def _rowset(
        self,
        call: Call,
        resource: Compiled,
        relation: str | None,
        ability: str | None,
        *,
        listing: bool = False,
    ) -> RowSet:
        """The row set an endpoint addresses, after PERSCOM's scope checks (§2.2);
        ``ability`` ``None`` leaves the target's check to the caller."""
        if relation is None:
            if ability is not None:
                call.allow(ability, resource)
            return RowSet(resource)
        bound = resource.relations[relation]
        if ability is not None:
            call.allow(ability, bound.required_target())
        if listing:
            call.allow("view", resource)
        parent_id = path_id(call.request, "id")
        await self._require_parent(call, resource, parent_id)
        return rowset_for(bound, parent_id)

    async def _require_parent(self, call: Call, resource: Compiled, parent_id: int) -> None:
        found = await call.db.scalar(
            resource.exists_statement, {"tenant": call.tenant_id, "row_id": parent_id}
        )
        if found is None:
            raise missing_row()

    async def _rows(
        self,
        call: Call,
        rowset: RowSet,
        conditions: Sequence[ColumnElement[bool]],
        tree: IncludeTree,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        target = rowset.resource
        statement = (
            select(*target.select_columns, *rowset.extra_columns())
            .select_from(rowset.source())
            .where(target.tenant_col == call.tenant_id, *rowset.conditions(), *conditions)
            .order_by(*target.default_order)
        )
        if limit is not None:
            statement = statement.limit(limit)
        rows = await call.db.rows(statement)
        items = await present(call.db, target, call.tenant_id, rows, call.render)
        for item, row in zip(items, rows, strict=True):
            rowset.decorate(item, row)
        await load_includes(call.db, self.registry, call.tenant_id, tree, items, call.render)
        return items

    async def _one(
        self, call: Call, rowset: RowSet, row_id: int | None, tree: IncludeTree
    ) -> dict[str, Any]:
        """The addressed row (the first one of a to-one relation when no id is given)."""
        target = rowset.resource
        if row_id is not None and type(rowset) is RowSet:
            params = {"tenant": call.tenant_id, "row_id": row_id}
            row = await call.db.first(target.show_statement, params)
            if row is None:
                raise missing_row()
            [item] = await present(call.db, target, call.tenant_id, [row], call.render)
            await load_includes(call.db, self.registry, call.tenant_id, tree, [item], call.render)
            return item
        conditions = [] if row_id is None else [target.id_col == row_id]
        items = await self._rows(call, rowset, conditions, tree, limit=1)
        if not items:
            raise missing_row()
        return items[0]

    async def _many(
        self, call: Call, rowset: RowSet, ids: Sequence[int], tree: IncludeTree
    ) -> list[dict[str, Any]]:
        """The rows of ``ids`` in that order; 404 unless every one is addressable."""
        if not ids:
            return []
        items = await self._rows(call, rowset, [rowset.resource.id_col.in_(ids)], tree)
        by_id = {item["id"]: item for item in items}
        if len(by_id) != len(set(ids)):
            raise missing_row()
        return [by_id[i] for i in ids]

    def _single(
        self, call: Call, resource: Compiled, item: dict[str, Any], status: int = 200
    ) -> Response:
        shaper = resource.decl.v1_single
        if shaper is not None and call.version == "v1":
            shaper(item)
        return respond({"data": item}, status, call.response_headers)

    def _includes(
        self, request: Request, resource: Compiled, body: SearchBody | None = None
    ) -> IncludeTree:
        items = body.includes if body is not None else ()
        return parse_includes(resource, request.query_params.get("include"), items)

    async def _list(
        self,
        call: Call,
        rowset: RowSet,
        body: SearchBody | None,
        page: PageRequest,
        tree: IncludeTree,
        extra: Sequence[ColumnElement[bool]] = (),
    ) -> Response:
        target = rowset.resource
        prepared = rowset.page_params(call.tenant_id) if body is None and not extra else None
        if body is None and not extra and type(rowset) is RowSet:
            result = await fetch_default_page(call.db, target, call.tenant_id, page)
        elif prepared is not None and isinstance(rowset, HasManyRowSet):
            relation = rowset.relation
            assert relation.page_statement is not None  # page_params said it is prepared
            result = await fetch_prepared_page(
                call.db, relation.page_statement, relation.count_statement, prepared, page
            )
        else:
            query = Compiler(target, call.dialect).list_query(
                call.tenant_id, body, [*rowset.conditions(), *extra]
            )
            result = await fetch_page(
                call.db,
                target,
                query,
                page,
                source=rowset.source(),
                extra_columns=rowset.extra_columns(),
            )
        data = await present(call.db, target, call.tenant_id, result.rows, call.render)
        for item, row in zip(data, result.rows, strict=True):
            rowset.decorate(item, row)
        await load_includes(call.db, self.registry, call.tenant_id, tree, data, call.render)
        body_out = paginated(data, result, list_path(call.request))
        return respond(body_out, 200, call.response_headers)

    # -- reading ------------------------------------------------------------------------

    async def index(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request, writing=False) as call:
            rowset = await self._rowset(call, resource, relation, "view", listing=True)
            page = page_request(request)
            tree = self._includes(request, rowset.resource)
            return await self._list(call, rowset, None, page, tree)

    async def search(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request, writing=False) as call:
            rowset = await self._rowset(call, resource, relation, "view", listing=True)
            page = page_request(request)
            body = parse_search_body(await read_payload(request))
            tree = self._includes(request, rowset.resource, body)
            return await self._list(call, rowset, body, page, tree)

    async def listing(
        self,
        request: Request,
        resource: Compiled,
        condition: Any,
        *,
        includes_allowed: bool,
    ) -> Response:
        """An index restricted by ``condition(call)``, with no scope needed (``/me``)."""
        async with self.open_call(request, writing=False) as call:
            page = page_request(request)
            tree = parse_includes(
                resource, request.query_params.get("include"), allowed=includes_allowed
            )
            return await self._list(call, RowSet(resource), None, page, tree, [condition(call)])

    async def show(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request, writing=False) as call:
            rowset = await self._rowset(call, resource, relation, "view")
            tree = self._includes(request, rowset.resource)
            item = await self._one(call, rowset, self._target_id(request, relation), tree)
            return self._single(call, rowset.resource, item)

    # -- writing ------------------------------------------------------------------------

    async def store(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request) as call:
            target = resource if relation is None else resource.relations[relation].target
            lenient = target is not None and target.decl.service.open_create
            rowset = await self._rowset(call, resource, relation, None if lenient else "create")
            target = rowset.resource
            tree = self._includes(request, target)
            payload = require_object(await read_payload(request))
            body = rowset.fill(payload)
            if lenient and not await target.decl.service.may_create_unscoped(call, body):
                call.allow("create", target)
            values = await validate(target, body, creating=True)
            await _custom_input(call, target, body, values, None)
            pivot = rowset.pivot_input(payload, "pivot")
            values.columns.update(rowset.create_defaults())
            await check_references(call, target, [("", values.columns)])
            row_id = await create_row(call, target, values)
            await rowset.after_create(call.conn, call.tenant_id, row_id, pivot)
            item = await self._one(call, rowset, row_id, tree)
            announce(call, target, "created", item)
            return self._single(call, target, item, status=201)

    async def update(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request) as call:
            rowset = await self._rowset(call, resource, relation, "update")
            target = rowset.resource
            tree = self._includes(request, target)
            before = await self._one(call, rowset, self._target_id(request, relation), {})
            row_id = before["id"]
            payload = require_object(await read_payload(request))
            values = await validate(target, payload, creating=False)
            await _custom_input(call, target, payload, values, row_id)
            pivot = rowset.pivot_input(payload, "pivot")
            await check_references(call, target, [("", values.columns)])
            await update_row(call, target, row_id, values)
            await rowset.after_update(call.conn, call.tenant_id, row_id, pivot)
            item = await self._one(call, rowset, row_id, tree)
            announce(call, target, "updated", item, before)
            return self._single(call, target, item)

    async def destroy(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request) as call:
            rowset = await self._rowset(call, resource, relation, "delete")
            target = rowset.resource
            tree = self._includes(request, target)
            item = await self._one(call, rowset, self._target_id(request, relation), tree)
            await delete_row(call, target, item["id"], item)
            announce(call, target, "deleted", item)
            return self._single(call, target, item)

    def _target_id(self, request: Request, relation: str | None) -> int | None:
        return path_id(request, "id") if relation is None else optional_path_id(request, "rid")

    # -- batches ------------------------------------------------------------------------

    async def batch_store(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request) as call:
            target = resource if relation is None else resource.relations[relation].target
            lenient = target is not None and target.decl.service.open_create
            rowset = await self._rowset(call, resource, relation, None if lenient else "create")
            target = rowset.resource
            tree = self._includes(request, target)
            items = _batch_list(require_object(await read_payload(request)))
            if lenient and not await self._all_unscoped(call, rowset, items):
                call.allow("create", target)
            batch = await _validated_batch(call, rowset, enumerate(items), creating=True)
            ids = []
            for _index, values, pivot in batch:
                row_id = await create_row(call, target, values)
                await rowset.after_create(call.conn, call.tenant_id, row_id, pivot)
                ids.append(row_id)
            data = await self._many(call, rowset, ids, tree)
            for item in data:
                announce(call, target, "created", item)
            answer = respond({"data": data}, 200, call.response_headers)
        if len(ids) >= BULK_ROWS:  # committed: fresh statistics before the next request plans
            await get_platform(request).analyzer.analyze(target.tables)
        return answer

    async def _all_unscoped(self, call: Call, rowset: RowSet, items: Sequence[Any]) -> bool:
        """Whether every body of a batch may be stored without the create scope (each
        names a public form); an empty batch needs the scope like any other."""
        service = rowset.resource.decl.service
        for item in items:
            body = rowset.fill(item)
            if not isinstance(body, dict) or not await service.may_create_unscoped(call, body):
                return False
        return bool(items)

    async def batch_update(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request) as call:
            rowset = await self._rowset(call, resource, relation, "update")
            target = rowset.resource
            tree = self._includes(request, target)
            payloads = _batch_map(require_object(await read_payload(request)))
            ids = list(payloads)
            before = await self._many(call, rowset, ids, {})  # every id must be addressable
            batch = await _validated_batch(call, rowset, payloads.items(), creating=False)
            for row_id, values, pivot in batch:
                await update_row(call, target, row_id, values)
                await rowset.after_update(call.conn, call.tenant_id, row_id, pivot)
            data = await self._many(call, rowset, ids, tree)
            for old, item in zip(before, data, strict=True):
                announce(call, target, "updated", item, old)
            return respond({"data": data}, 200, call.response_headers)

    async def batch_destroy(
        self, request: Request, resource: Compiled, relation: str | None = None
    ) -> Response:
        async with self.open_call(request) as call:
            rowset = await self._rowset(call, resource, relation, "delete")
            target = rowset.resource
            tree = self._includes(request, target)
            payload = require_object(await read_payload(request))
            raw = payload.get("resources")
            if not isinstance(raw, list) or not raw:
                raise failure(
                    [FieldError("resources", "The resources field must be a list of ids.")]
                )
            if len(raw) > MAX_BATCH:
                raise failure([FieldError("resources", f"At most {MAX_BATCH} resources at once.")])
            ids = unique_ids(raw, "resources")
            data = await self._many(call, rowset, ids, tree)
            for item in data:
                await delete_row(call, target, item["id"], item)
                announce(call, target, "deleted", item)
            return respond({"data": data}, 200, call.response_headers)

    # -- many-to-many -------------------------------------------------------------------

    async def _pivot_call(
        self, call: Call, resource: Compiled, relation: str
    ) -> tuple[ManyRowSet, BelongsToMany]:
        """attach/detach/sync/toggle/pivot need ``update:<parent>`` (§2.2)."""
        call.allow("update", resource)
        parent_id = path_id(call.request, "id")
        await self._require_parent(call, resource, parent_id)
        rowset = rowset_for(resource.relations[relation], parent_id)
        assert isinstance(rowset, ManyRowSet)
        return rowset, rowset.spec

    async def _existing(self, call: Call, target: Compiled, ids: Sequence[int]) -> set[int]:
        """``ids``, all rows of the tenant; 404 otherwise.

        Orion silently drops unknown ids; the issue asks for a 404 whenever an id is not
        one of the tenant's rows (another tenant's id must never look different from a
        missing one, and a silent partial success hides client bugs).
        """
        if not ids:
            return set()
        rows = await call.db.rows(
            select(target.id_col).where(target.tenant_col == call.tenant_id, target.id_col.in_(ids))
        )
        found = {row[0] for row in rows}
        if len(found) != len(set(ids)):
            raise missing_row()
        return found

    async def attach(self, request: Request, resource: Compiled, relation: str) -> Response:
        async with self.open_call(request) as call:
            rowset, spec = await self._pivot_call(call, resource, relation)
            payload = require_object(await read_payload(request))
            wanted = _relation_resources(spec, payload)
            existing = await self._existing(call, rowset.resource, list(wanted))
            current = await attached_ids(call.conn, call.tenant_id, spec, rowset.parent_id)
            fresh = {k: v for k, v in wanted.items() if k in existing and k not in current}
            await attach_rows(call.conn, call.tenant_id, spec, rowset.parent_id, fresh)
            return respond({"attached": list(fresh)}, 200, call.response_headers)

    async def detach(self, request: Request, resource: Compiled, relation: str) -> Response:
        async with self.open_call(request) as call:
            rowset, spec = await self._pivot_call(call, resource, relation)
            payload = require_object(await read_payload(request))
            wanted = _relation_resources(spec, payload)
            await self._existing(call, rowset.resource, list(wanted))
            current = await attached_ids(call.conn, call.tenant_id, spec, rowset.parent_id)
            gone = [k for k in wanted if k in current]
            await detach_rows(call.conn, call.tenant_id, spec, rowset.parent_id, set(gone))
            return respond({"detached": gone}, 200, call.response_headers)

    async def sync(self, request: Request, resource: Compiled, relation: str) -> Response:
        async with self.open_call(request) as call:
            rowset, spec = await self._pivot_call(call, resource, relation)
            payload = require_object(await read_payload(request))
            wanted = _relation_resources(spec, payload)
            detaching = payload.get("detaching", True)
            if not isinstance(detaching, bool):
                raise failure(
                    [FieldError("detaching", "The detaching field must be true or false.")]
                )
            existing = await self._existing(call, rowset.resource, list(wanted))
            wanted = {k: v for k, v in wanted.items() if k in existing}
            current = await attached_ids(call.conn, call.tenant_id, spec, rowset.parent_id)
            fresh = {k: v for k, v in wanted.items() if k not in current}
            gone = sorted(current - set(wanted)) if detaching else []
            updated = []
            for key, values in wanted.items():
                if (
                    key in current
                    and values
                    and await _changes_pivot(call, spec, rowset.parent_id, key, values)
                ):
                    await update_pivot(
                        call.conn, call.tenant_id, spec, rowset.parent_id, key, values
                    )
                    updated.append(key)
            await detach_rows(call.conn, call.tenant_id, spec, rowset.parent_id, set(gone))
            await attach_rows(call.conn, call.tenant_id, spec, rowset.parent_id, fresh)
            body = {"attached": list(fresh), "detached": gone, "updated": updated}
            return respond(body, 200, call.response_headers)

    async def toggle(self, request: Request, resource: Compiled, relation: str) -> Response:
        async with self.open_call(request) as call:
            rowset, spec = await self._pivot_call(call, resource, relation)
            payload = require_object(await read_payload(request))
            wanted = _relation_resources(spec, payload)
            existing = await self._existing(call, rowset.resource, list(wanted))
            current = await attached_ids(call.conn, call.tenant_id, spec, rowset.parent_id)
            gone = [k for k in wanted if k in current]
            fresh = {k: v for k, v in wanted.items() if k not in current and k in existing}
            await detach_rows(call.conn, call.tenant_id, spec, rowset.parent_id, set(gone))
            await attach_rows(call.conn, call.tenant_id, spec, rowset.parent_id, fresh)
            return respond({"attached": list(fresh), "detached": gone}, 200, call.response_headers)

    async def update_pivot(self, request: Request, resource: Compiled, relation: str) -> Response:
        async with self.open_call(request) as call:
            rowset, spec = await self._pivot_call(call, resource, relation)
            related = path_id(request, "rid")
            payload = require_object(await read_payload(request))
            values = pivot_values(spec, payload.get("pivot"), "pivot")
            if not await update_pivot(
                call.conn, call.tenant_id, spec, rowset.parent_id, related, values
            ):
                raise missing_row()
            return respond({"updated": [related]}, 200, call.response_headers)


async def _changes_pivot(
    call: Call, spec: BelongsToMany, parent_id: int, related: int, values: Mapping[str, Any]
) -> bool:
    pivot = spec.pivot
    row = (
        await call.conn.execute(
            select(*(pivot.c[k] for k in values)).where(
                of_tenant(pivot, call.tenant_id),
                pivot.c[spec.parent_key] == parent_id,
                pivot.c[spec.related_key] == related,
            )
        )
    ).first()
    return row is not None and tuple(row) != tuple(values.values())


async def _custom_input(
    call: Call,
    target: Compiled,
    payload: Any,
    values: Values,
    row_id: int | None,
    prefix: str = "",
) -> None:
    """The declaration's own input (custom fields), refused like column input."""
    errors = await target.decl.service.custom_input(
        call, require_object(payload), values.columns, row_id=row_id, prefix=prefix
    )
    if errors:
        raise failure(errors)


def _batch_list(payload: Mapping[str, Any]) -> list[Any]:
    raw = payload.get("resources")
    if not isinstance(raw, list) or not raw:
        raise failure([FieldError("resources", "The resources field must be a non-empty array.")])
    if len(raw) > MAX_BATCH:
        raise failure([FieldError("resources", f"At most {MAX_BATCH} resources at once.")])
    return raw


def _batch_map(payload: Mapping[str, Any]) -> dict[int, Any]:
    """``{"resources": {"5": {...}}}``: the body of a batch update, keyed by id."""
    raw = payload.get("resources")
    if not isinstance(raw, dict) or not raw:
        raise failure(
            [FieldError("resources", "The resources field must be an object keyed by id.")]
        )
    if len(raw) > MAX_BATCH:
        raise failure([FieldError("resources", f"At most {MAX_BATCH} resources at once.")])
    ids = unique_ids(list(raw), "resources")
    if len(ids) != len(raw):
        raise failure([FieldError("resources", "The resources keys must be distinct ids.")])
    return dict(zip(ids, raw.values(), strict=True))


def _relation_resources(
    spec: BelongsToMany, payload: Mapping[str, Any]
) -> dict[int, dict[str, Any]]:
    """``resources`` of attach/detach/sync/toggle: ``[1, 2]`` or ``{"1": {"order": 3}}``."""
    raw = payload.get("resources")
    if isinstance(raw, list):
        if len(raw) > MAX_BATCH:
            raise failure([FieldError("resources", f"At most {MAX_BATCH} resources at once.")])
        return {key: {} for key in unique_ids(raw, "resources")}
    if isinstance(raw, dict):
        if len(raw) > MAX_BATCH:
            raise failure([FieldError("resources", f"At most {MAX_BATCH} resources at once.")])
        wanted: dict[int, dict[str, Any]] = {}
        for key, value in raw.items():
            related = as_id(key)
            if related is None:
                raise failure([FieldError("resources", f"The resources key {key!r} is not an id.")])
            wanted[related] = pivot_values(spec, value, f"resources.{key}")
        return wanted
    raise failure([FieldError("resources", "The resources field is required.")])


async def _validated_batch(
    call: Call, rowset: RowSet, keyed: Iterable[tuple[int, Any]], *, creating: bool
) -> list[tuple[int, Values, dict[str, Any] | None]]:
    """Validate every item of a batch (errors of all items together, keyed
    ``resources.<key>.``), then check the references of all of them in one go."""
    target = rowset.resource
    batch: list[tuple[int, Values, dict[str, Any] | None]] = []
    errors: list[FieldError] = []
    for key, payload in keyed:
        prefix = f"resources.{key}."
        try:
            body = rowset.fill(payload) if creating else payload
            values = await validate(target, body, creating=creating, prefix=prefix)
            await _custom_input(call, target, body, values, None if creating else key, prefix)
            pivot = rowset.pivot_input(require_object(payload), prefix + "pivot")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        if creating:
            values.columns.update(rowset.create_defaults())
        batch.append((key, values, pivot))
    if errors:
        raise failure(errors)
    await check_references(call, target, [(f"resources.{k}.", v.columns) for k, v, _ in batch])
    return batch
