"""Writes: reading a body, validating it Laravel's way, storing uploads, changing rows.

Input is cleaned as Laravel's middleware does (strings trimmed, ``""`` becomes ``null``),
validated by the Pydantic model compiled from the declaration, and only validated keys are
written (unknown keys are dropped, as with Orion's ``use_validated``). Foreign keys must name
a row of the same tenant. Rows are written through the ORM so ids are allocated and the
tenant guard applies; they are read back through the Core read path.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError
from pydantic import ValidationError
from sqlalchemy import Table, delete, select, update
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from tenantry.core.base import utcnow
from tenantry.core.bodies import JsonRefused, find_nul, parse_json, read_body
from tenantry.core.errors import BadRequest, FieldError, NotFound, ValidationFailed
from tenantry.core.resources.scoped import of_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    FileField,
    HasMany,
    MorphOne,
)
from tenantry.perscom.engine.problems import attribute, failure, from_pydantic
from tenantry.perscom.engine.runtime import INT64_MAX, Compiled

MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_FORM_BYTES = 25 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
FORM_STATE_KEY = "perscom_form"
"""Where the method-override middleware leaves a form it already parsed."""

_IMAGE_TYPES = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
    "BMP": ("bmp", "image/bmp"),
}


# -- reading ----------------------------------------------------------------------------


def is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind in ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_payload(request: Request) -> Any:
    """The request's input: a JSON value, or a form as a dict (files as ``UploadFile``)."""
    if is_form(request):
        form = await read_form(request)
        data: dict[str, Any] = {}
        for key, value in form.multi_items():
            if key == "_method":
                continue
            data[key] = value
        refuse_nul({key: value for key, value in data.items() if isinstance(value, str)})
        return data
    raw = await read_body(request, MAX_JSON_BYTES)
    if not raw.strip():
        return None
    try:
        value = parse_json(raw)
    except JsonRefused:
        raise BadRequest("The request body is not valid JSON.") from None
    refuse_nul(value)
    return value


def refuse_nul(value: Any) -> None:
    """422 naming the field: PostgreSQL cannot store ``U+0000`` in text."""
    where = find_nul(value)
    if where is not None:
        raise ValidationFailed(
            "The given data was invalid.",
            [FieldError(where or None, "The text must not contain a NUL character.")],
        )


async def read_form(request: Request) -> FormData:
    state = request.scope.setdefault("state", {})
    cached = state.get(FORM_STATE_KEY)
    if isinstance(cached, FormData):
        return cached
    body = await read_body(request, MAX_FORM_BYTES)
    request._body = body  # let Starlette's parser read the buffered body
    try:
        form = await request.form(max_files=10, max_fields=1000, max_part_size=1024 * 1024)
    except Exception as exc:  # multipart raises several kinds for a malformed body
        raise BadRequest(f"The form body could not be read: {exc}") from None
    state[FORM_STATE_KEY] = form
    return form


def clean(value: Any) -> Any:
    """Laravel's ``TrimStrings`` and ``ConvertEmptyStringsToNull``, recursively."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


# -- validating -------------------------------------------------------------------------


@dataclass
class Upload:
    field: str
    spec: FileField
    data: bytes
    extension: str
    content_type: str
    filename: str


@dataclass
class Values:
    """Validated input for one row: column values, uploads, and file fields to clear."""

    columns: dict[str, Any] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)


def require_object(payload: Any, key: str = "body") -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise failure([FieldError(key, f"The {key} must be an object.")])
    return payload


async def validate(resource: Compiled, payload: Any, *, creating: bool, prefix: str = "") -> Values:
    """One row's input; raises a 422 listing every problem."""
    data = clean(require_object(payload, prefix.rstrip(".") or "body"))
    errors: list[FieldError] = []
    values = Values()
    for name, spec in resource.decl.files.items():
        if name not in data:
            rule = resource.decl.rules.get(name)
            if creating and rule is not None and rule.required:
                errors.append(
                    FieldError(prefix + name, f"The {attribute(name)} field is required.")
                )
            continue
        value = data.pop(name)
        if value is None:
            values.cleared.append(name)
            continue
        if not isinstance(value, UploadFile):
            noun = "a file" if spec.any_file else "an image"
            errors.append(FieldError(prefix + name, f"The {attribute(name)} field must be {noun}."))
            continue
        upload = await _image(name, spec, value, prefix)
        if isinstance(upload, FieldError):
            errors.append(upload)
        else:
            values.uploads.append(upload)
    model = resource.create_model if creating else resource.update_model
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        errors.extend(from_pydantic(exc, prefix))
    else:
        values.columns = validated.model_dump(exclude_unset=True)
    if errors:
        raise failure(errors)
    return values


async def _image(
    name: str, spec: FileField, upload: UploadFile, prefix: str
) -> Upload | FieldError:
    key = prefix + name
    limit = spec.max_kilobytes * 1024
    if upload.size is not None and upload.size > limit:
        return FieldError(
            key,
            f"The {attribute(name)} field must not be greater than {spec.max_kilobytes} kilobytes.",
        )
    data = await upload.read()
    if len(data) > limit:
        return FieldError(
            key,
            f"The {attribute(name)} field must not be greater than {spec.max_kilobytes} kilobytes.",
        )
    kind = _file_kind(upload) if spec.any_file else await asyncio.to_thread(_image_kind, data)
    if kind is None:
        return FieldError(key, f"The {attribute(name)} field must be an image.")
    extension, content_type = kind
    filename = (upload.filename or f"{name}.{extension}").rsplit("/", 1)[-1][:255]
    return Upload(name, spec, data, extension, content_type, filename)


def _file_kind(upload: UploadFile) -> tuple[str, str]:
    """Any file keeps a safe form of its own extension and the type its name implies."""
    name = (upload.filename or "").rsplit("/", 1)[-1]
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    extension = suffix if suffix.isascii() and suffix.isalnum() and len(suffix) <= 10 else "bin"
    guessed = mimetypes.guess_type(f"file.{extension}")[0]
    return extension, guessed or "application/octet-stream"


def _image_kind(data: bytes) -> tuple[str, str] | None:
    """The stored extension and content type of an image, or ``None`` if it is not one."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                return None
            image.verify()
            return _IMAGE_TYPES.get(image.format or "")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


async def check_references(
    call: Call, resource: Compiled, rows: Sequence[tuple[str, Mapping[str, Any]]]
) -> None:
    """Laravel's ``exists:`` rules: every foreign key names a row of this tenant."""
    errors: list[FieldError] = []
    for relation in resource.relations.values():
        spec = relation.spec
        if not isinstance(spec, BelongsTo):
            continue
        wanted = {
            values[spec.key]
            for _, values in rows
            if spec.key in values and values[spec.key] is not None
        }
        if not wanted:
            continue
        target = relation.required_target()
        found = set(
            (
                await call.conn.execute(
                    select(target.id_col).where(
                        target.tenant_col == call.tenant_id, target.id_col.in_(wanted)
                    )
                )
            ).scalars()
        )
        for prefix, values in rows:
            if values.get(spec.key) is not None and values[spec.key] not in found:
                errors.append(
                    FieldError(prefix + spec.key, f"The selected {attribute(spec.key)} is invalid.")
                )
    if errors:
        raise failure(errors)


# -- writing ----------------------------------------------------------------------------


def _split(resource: Compiled, columns: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    primary: dict[str, Any] = {}
    extension: dict[str, Any] = {}
    for name, value in columns.items():
        home = resource.column_home.get(name)
        if home is None:
            raise KeyError(f"{resource.name}: {name!r} is not a column")
        (primary if home is resource.table else extension)[name] = value
    return primary, extension


async def _store_uploads(call: Call, resource: Compiled, values: Values) -> None:
    for upload in values.uploads:
        key = f"perscom/{call.tenant_id}/{upload.spec.prefix}/{uuid.uuid4().hex}.{upload.extension}"
        await call.storage_put(key, upload.data, upload.content_type)
        values.columns[upload.spec.column or upload.field] = key
        if upload.spec.filename_column:
            values.columns[upload.spec.filename_column] = upload.filename
    for name in values.cleared:
        spec = resource.decl.files[name]
        values.columns[spec.column or name] = None


async def create_row(call: Call, resource: Compiled, values: Values) -> int:
    await resource.decl.service.before_create(call, values.columns)
    await _store_uploads(call, resource, values)
    primary, extension = _split(resource, values.columns)
    now = utcnow()
    primary.setdefault("created_at", now)
    primary.setdefault("updated_at", primary["created_at"])
    row = resource.decl.model(**primary)
    call.session.add(row)
    await call.session.flush()
    row_id = int(row.id)  # type: ignore[attr-defined]
    if resource.decl.extension is not None:
        call.session.add(
            resource.decl.extension(**{resource.decl.extension_key: row_id}, **extension)
        )
        await call.session.flush()
    await resource.decl.service.after_create(call, row_id, {**primary, **extension})
    return row_id


async def update_row(call: Call, resource: Compiled, row_id: int, values: Values) -> None:
    row = await call.session.get(resource.decl.model, (call.tenant_id, row_id))
    if row is None:
        raise NotFound("No such row.")
    await resource.decl.service.before_update(call, row_id, values.columns)
    old_files = await _file_paths(call, resource, row_id, values)
    await _store_uploads(call, resource, values)
    primary, extension = _split(resource, values.columns)
    for name, value in primary.items():
        setattr(row, name, value)
    if extension and "updated_at" not in primary:
        row.updated_at = utcnow()  # type: ignore[attr-defined]
    if resource.decl.extension is not None and extension:
        ext = await call.session.get(resource.decl.extension, (call.tenant_id, row_id))
        if ext is None:
            call.session.add(
                resource.decl.extension(**{resource.decl.extension_key: row_id}, **extension)
            )
        else:
            for name, value in extension.items():
                setattr(ext, name, value)
    await call.session.flush()
    call.files_to_delete.extend(old_files)


async def _file_paths(call: Call, resource: Compiled, row_id: int, values: Values) -> list[str]:
    """Stored objects that this write replaces or clears (deleted once it commits)."""
    touched = [u.field for u in values.uploads] + values.cleared
    if not touched:
        return []
    columns = [resource.columns[resource.decl.files[n].column or n] for n in touched]
    row = (
        await call.conn.execute(
            select(*columns)
            .select_from(resource.from_clause)
            .where(resource.tenant_col == call.tenant_id, resource.id_col == row_id)
        )
    ).first()
    return [p for p in (row or ()) if isinstance(p, str) and p]


async def delete_row(call: Call, resource: Compiled, row_id: int, row: Mapping[str, Any]) -> None:
    """Delete one row and what hangs off it: nulls referrers, pivots, its images, files."""
    await resource.decl.service.before_delete(call, row_id)
    tenant = call.tenant_id
    for referrer, key in call.registry.referrers(resource):
        home: Table = referrer.column_home[key]
        if home.c[key].nullable:
            await call.conn.execute(
                update(home)
                .where(of_tenant(home, tenant), home.c[key] == row_id)
                .values({key: None})
            )
    for owner in call.registry:
        for relation in owner.relations.values():
            spec = relation.spec
            if isinstance(spec, BelongsToMany):
                pivot = spec.pivot
                if relation.target is resource:
                    await call.conn.execute(
                        delete(pivot).where(
                            of_tenant(pivot, tenant),
                            pivot.c[spec.related_key] == row_id,
                            *(pivot.c[c] == v for c, v in spec.pivot_where),
                        )
                    )
                if owner is resource:
                    await call.conn.execute(
                        delete(pivot).where(
                            of_tenant(pivot, tenant),
                            pivot.c[spec.parent_key] == row_id,
                            *(pivot.c[c] == v for c, v in spec.pivot_where),
                        )
                    )
            elif isinstance(spec, MorphOne) and owner is resource:
                await _delete_morph_children(
                    call,
                    relation.required_target(),
                    spec.type_field,
                    spec.id_field,
                    resource,
                    row_id,
                )
            elif (
                isinstance(spec, HasMany)
                and owner is resource
                and ("model_type", resource.decl.morph_type) in spec.where
            ):  # polymorphic rows on this one: its comments, attachments, event images
                await _delete_morph_children(
                    call, relation.required_target(), "model_type", spec.key, resource, row_id
                )
    if resource.ext is not None:
        ext = resource.ext
        await call.conn.execute(
            delete(ext).where(of_tenant(ext, tenant), ext.c[resource.decl.extension_key] == row_id)
        )
    table = resource.table
    result = await call.conn.execute(
        delete(table).where(of_tenant(table, tenant), table.c.id == row_id)
    )
    if result.rowcount == 0:
        raise NotFound("No such row.")
    for name, upload in resource.decl.files.items():
        path = row.get(upload.column or name)
        if isinstance(path, str) and path:
            call.files_to_delete.append(path)
    await resource.decl.service.after_delete(call, row)


async def _delete_morph_children(
    call: Call, target: Compiled, type_field: str, id_field: str, owner: Compiled, row_id: int
) -> None:
    statement = select(*target.select_columns).where(
        target.tenant_col == call.tenant_id,
        target.columns[type_field] == owner.decl.morph_type,
        target.columns[id_field] == row_id,
    )
    for child in (await call.conn.execute(statement)).all():
        mapping = dict(child._mapping)
        await delete_row(call, target, int(mapping["id"]), mapping)


def unique_ids(values: Sequence[Any], key: str) -> list[int]:
    """Ids of a batch or relation body: integers in range, or a 422."""
    found: list[int] = []
    errors: list[FieldError] = []
    for index, value in enumerate(values):
        number = _as_id(value)
        if number is None:
            errors.append(FieldError(f"{key}.{index}", f"The {key}.{index} field must be an id."))
        elif number not in found:
            found.append(number)
    if errors:
        raise failure(errors)
    return found


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 0 < value <= INT64_MAX:
        return value
    return None


def as_id(value: Any) -> int | None:
    return _as_id(value)
