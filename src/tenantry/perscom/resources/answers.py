"""Custom-field answers: the values a submission or a user keeps for its fields.

They are not columns: each is checked against its field (required, type, options, file
size) at write time, kept in the row's JSON ``data`` (uploads' stored keys in ``files``),
and flattened to the top level of the row's JSON, with ``<key>_url`` beside every file.
Submissions answer their form's fields, users the fields attached to them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import select
from starlette.datastructures import UploadFile

from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.identity.service import normalize_email
from tenantry.core.resources.scoped import same_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import Computed, RenderContext
from tenantry.perscom.engine.problems import attribute
from tenantry.perscom.engine.runtime import (
    INT64_MAX,
    INT64_MIN,
    TEXT_MAX,
    Compiled,
    parse_datetime,
)
from tenantry.perscom.engine.writes import clean
from tenantry.perscom.resources.form_models import MODEL_FIELDS, Field

FILE_KILOBYTES = 10_000
"""Laravel's ``max:10000`` on file fields counts kilobytes."""
_HEX = re.compile(r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
_TRUE = {True, "1", "true", "on", "yes"}
_FALSE = {False, "0", "false", "off", "no"}


@dataclass(frozen=True)
class Question:
    """One field, as answer validation needs it."""

    key: str
    type: str
    required: bool
    readonly: bool
    options: Any
    options_type: str | None
    options_model: str | None


@dataclass
class PendingFile:
    """An accepted upload, stored once the row is written."""

    data: bytes
    content_type: str
    extension: str


async def questions_of(call: Call, model_type: str, model_id: int) -> list[Question]:
    """The fields attached to one row (a form, a user) in their order."""
    rows = await call.conn.execute(
        select(
            Field.key,
            Field.type,
            Field.required,
            Field.readonly,
            Field.options,
            Field.options_type,
            Field.options_model,
        )
        .join(
            MODEL_FIELDS,
            (same_tenant(MODEL_FIELDS, Field)) & (MODEL_FIELDS.c.field_id == Field.id),
        )
        .where(
            same_tenant(Field, call),
            MODEL_FIELDS.c.model_type == model_type,
            MODEL_FIELDS.c.model_id == model_id,
        )
        .order_by(MODEL_FIELDS.c.order, Field.id)
    )
    return [Question(*row) for row in rows.all()]


async def read_answers(
    call: Call,
    questions: list[Question],
    payload: Mapping[str, Any],
    answers: tuple[dict[str, Any], dict[str, Any]],
    *,
    creating: bool,
    prefix: str,
) -> list[FieldError]:
    """Check the payload's answers into ``answers`` (data, files); returns the problems.

    A required field must be given on create, and may not be cleared later; a readonly one
    is ignored; giving ``null`` removes an optional answer.
    """
    data, files = answers
    errors: list[FieldError] = []
    raw = {k: v if isinstance(v, UploadFile) else clean(v) for k, v in payload.items()}
    for question in questions:
        key = question.key
        if question.readonly:
            continue
        value = raw.get(key)
        if value is None:
            if question.required and (creating or key in raw):
                errors.append(FieldError(prefix + key, f"The {attribute(key)} field is required."))
            elif key in raw:
                data.pop(key, None)
                files.pop(key, None)
            continue
        checked = await _answer(call, question, value)
        if isinstance(checked, str):
            errors.append(FieldError(prefix + key, checked))
        elif isinstance(checked, PendingFile):
            files[key] = checked
        else:
            data[key] = checked[0]
    return errors


def stored_paths(files: Any) -> list[str]:
    """The stored keys among a row's ``files`` (to delete them with it)."""
    if not isinstance(files, dict):
        return []
    return [p for p in files.values() if isinstance(p, str) and p]


async def store_files(call: Call, files: Mapping[str, Any], folder: str) -> dict[str, Any]:
    """Store the pending uploads under the tenant's ``folder``; keys replace them."""
    stored: dict[str, Any] = {}
    for key, value in files.items():
        if isinstance(value, PendingFile):
            path = (
                f"perscom/{call.tenant_id}/{folder}/{uuid.uuid4().hex}"
                f"{'.' + value.extension if value.extension else ''}"
            )
            await call.storage_put(path, value.data, value.content_type)
            stored[key] = path
        else:
            stored[key] = value
    return stored


async def _answer(call: Call, question: Question, value: Any) -> tuple[Any] | PendingFile | str:
    """The stored form of one answer (in a 1-tuple), an accepted upload, or the problem."""
    attr = attribute(question.key)
    kind = question.type
    if kind == "file":
        if not isinstance(value, UploadFile):
            return f"The {attr} field must be a file."
        limit = FILE_KILOBYTES * 1024
        if value.size is not None and value.size > limit:
            return f"The {attr} field must not be greater than {FILE_KILOBYTES} kilobytes."
        content = await value.read()
        if len(content) > limit:
            return f"The {attr} field must not be greater than {FILE_KILOBYTES} kilobytes."
        name = (value.filename or "").rsplit("/", 1)[-1]
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if not re.fullmatch(r"[a-z0-9]{1,10}", extension):
            extension = ""
        content_type = value.content_type or "application/octet-stream"
        return PendingFile(content, content_type, extension)
    if isinstance(value, UploadFile):
        return f"The {attr} field must be a string."
    if kind == "boolean":
        if isinstance(value, str):
            value = value.lower()
        if isinstance(value, bool | int | str) and value in _TRUE:
            return (True,)
        if isinstance(value, bool | int | str) and value in _FALSE:
            return (False,)
        return f"The {attr} field must be true or false."
    if kind == "number":
        number = _number(value)
        return f"The {attr} field must be a number." if number is None else (number,)
    if isinstance(value, dict | list | bool):
        return f"The {attr} field must be a string."
    text = str(value)
    if len(text) > TEXT_MAX:
        return f"The {attr} field must not be greater than {TEXT_MAX} characters."
    if kind == "email":
        try:
            return (normalize_email(text),)
        except ValidationFailed:
            return f"The {attr} field must be a valid email address."
    if kind == "color" and not _HEX.match(text):
        return f"The {attr} field format is invalid."
    if kind == "timezone" and text not in _timezones():
        return f"The {attr} field must be a valid timezone."
    if kind == "date":
        try:
            return (date.fromisoformat(text[:10]).isoformat(),)
        except ValueError:
            return f"The {attr} field must be a valid date."
    if kind == "datetime-local":
        parsed = parse_datetime(text)
        if not isinstance(parsed, datetime):
            return f"The {attr} field must be a valid date."
        return (text,)
    if kind == "select":
        return await _option(call, question, value, text)
    return (text,)


def _number(value: Any) -> int | float | None:
    """A finite number; integers within 64 bits (JSON readers' limit) stay integers."""
    if isinstance(value, bool | dict | list):
        return None
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else None
    try:
        parsed = float(value) if isinstance(value, float) else float(str(value))
    except (ValueError, OverflowError):
        return None
    if parsed != parsed or abs(parsed) >= 1e300:
        return None
    text = str(value)
    if (
        parsed.is_integer()
        and not isinstance(value, float)
        and "." not in text
        and "e" not in text.lower()
    ):
        whole = int(text.strip())
        return whole if INT64_MIN <= whole <= INT64_MAX else None
    return parsed


async def _option(call: Call, question: Question, value: Any, text: str) -> tuple[Any] | str:
    """A select answer: one of the field's options, or an id of its options model."""
    invalid = f"The selected {attribute(question.key)} is invalid."
    if question.options_type == "model" and question.options_model:
        target = call.registry.resources.get(question.options_model)
        if target is None or not text.isdigit() or len(text) > 18:
            return invalid
        found = await call.conn.scalar(
            select(target.id_col).where(
                target.tenant_col == call.tenant_id, target.id_col == int(text)
            )
        )
        return invalid if found is None else (int(text),)
    options = question.options
    allowed: set[str] = set()
    if isinstance(options, dict):
        allowed = {str(k) for k in options}
    elif isinstance(options, list):
        allowed = {str(o) for o in options}
    if allowed and text not in allowed:
        return invalid
    return (value if isinstance(value, int | float) else text,)


_ZONES: set[str] = set()


def _timezones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES


def flattened(row: Mapping[str, Any], context: RenderContext) -> dict[str, Any]:
    """The answers at the top level; every file with a ``<key>_url``."""
    found: dict[str, Any] = dict(row["_data"] or {})
    for key, path in (row["_files"] or {}).items():
        found[key] = path
        found[f"{key}_url"] = context.public_url(path) if isinstance(path, str) and path else None
    return found


def _answer_columns(resource: Compiled) -> Mapping[str, Any]:
    return {"_data": resource.columns["data"], "_files": resource.columns["files"]}


ANSWERS = Computed("answers", flattened, {"type": "object"}, sql=_answer_columns, spread=True)
"""The computed field that spreads a row's answers into its JSON."""
