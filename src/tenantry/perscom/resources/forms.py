"""Forms, fields and submissions: how recruits apply and members ask for things.

A form lists fields (ordered); a submission answers them. The answers are not columns:
they are validated against the form's fields at write time (required, type, options, file
size) and kept in the submission's ``data``, then flattened to the top level of its JSON,
with ``<key>_url`` beside every uploaded file. A new submission gets the form's
``submission_status_id`` as its first status. Public forms take submissions from any key of
the tenant; other forms need ``create:submission``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import delete, func, select
from starlette.datastructures import UploadFile

from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.identity.service import normalize_email
from tenantry.core.resources.scoped import same_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    Computed,
    HasMany,
    RenderContext,
    Resource,
    ResourceRules,
    Rule,
)
from tenantry.perscom.engine.problems import attribute, failure
from tenantry.perscom.engine.runtime import (
    INT64_MAX,
    INT64_MIN,
    TEXT_MAX,
    Compiled,
    parse_datetime,
)
from tenantry.perscom.engine.writes import clean
from tenantry.perscom.resources.common import (
    REQUIRED,
    STAMPS,
    VISIBILITY_SCOPES,
    models,
    visible_only,
)
from tenantry.perscom.resources.discussion import discussed
from tenantry.perscom.resources.form_models import MODEL_FIELDS, Field, Form, Submission
from tenantry.perscom.resources.record_models import STATUS_RECORDS, StatusRecord

FIELD_TYPES = (
    "component_text",
    "boolean",
    "code",
    "color",
    "country",
    "date",
    "datetime-local",
    "email",
    "file",
    "number",
    "password",
    "select",
    "text",
    "textarea",
    "timezone",
)
OPTIONS_TYPES = ("array", "model")
KEY_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
FILE_KILOBYTES = 10_000
"""Laravel's ``max:10000`` on file fields counts kilobytes."""
_HEX = re.compile(r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
_TRUE = {True, "1", "true", "on", "yes"}
_FALSE = {False, "0", "false", "off", "no"}
SUBMISSION_TYPE = models("Submission")
FORM_TYPE = models("Form")


# -- forms ------------------------------------------------------------------------------


class FormRules(ResourceRules):
    """Slugs are unique per tenant; deleting a form deletes its submissions' statuses."""

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        await _unique(call, Form, "slug", values, None)

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        await _unique(call, Form, "slug", values, row_id)

    async def before_delete(self, call: Call, row_id: int) -> None:
        rows = await call.conn.execute(
            select(Submission.id, Submission.files).where(
                same_tenant(Submission, call), Submission.form_id == row_id
            )
        )
        ids = []
        for submission_id, files in rows.all():
            ids.append(submission_id)
            call.files_to_delete.extend(_paths(files))
        if ids:
            await call.conn.execute(
                delete(STATUS_RECORDS).where(
                    same_tenant(STATUS_RECORDS, call),
                    STATUS_RECORDS.c.model_type == SUBMISSION_TYPE,
                    STATUS_RECORDS.c.model_id.in_(ids),
                )
            )


async def _unique(
    call: Call,
    model: type[Form] | type[Field],
    key: str,
    values: Mapping[str, Any],
    row_id: int | None,
) -> None:
    if values.get(key) is None:
        return
    taken = (
        select(func.count())
        .select_from(model)
        .where(same_tenant(model, call), getattr(model, key) == values[key])
    )
    if row_id is not None:
        taken = taken.where(model.id != row_id)
    if await call.conn.scalar(taken):
        raise failure([FieldError(key, f"The {key} has already been taken.")])


def _model_fields(morph: str) -> BelongsToMany:
    return BelongsToMany(
        "fields",
        "fields",
        MODEL_FIELDS,
        parent_key="model_id",
        related_key="field_id",
        pivot_fields=("order",),
        pivot_where=(("model_type", morph),),
    )


FORM_FIELDS = _model_fields(FORM_TYPE)

forms = Resource(
    name="forms",
    model=Form,
    label="Form",
    permission="form",
    morph_type=FORM_TYPE,
    writable=(
        "name",
        "slug",
        "success_message",
        "submission_status_id",
        "is_public",
        "description",
        "instructions",
        *STAMPS,
    ),
    rules={"name": REQUIRED, "slug": REQUIRED, "is_public": REQUIRED},
    relations=(
        BelongsTo("submission_status", "statuses", "submission_status_id"),
        FORM_FIELDS,
        HasMany("submissions", "submissions", "form_id"),
    ),
    includes=("fields", "submissions", "submissions.*"),
    searchable=("name", "slug", "description"),
    nested=("fields", "submissions"),
    service=FormRules(),
    spec_description="Forms people fill in (applications, requests); public ones take any key.",
)


# -- fields -----------------------------------------------------------------------------


class FieldRules(ResourceRules):
    """Keys are unique per tenant; ``options`` is a list or an object, and
    ``options_model`` names a resource of this API."""

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        _check_field(call, values)
        await _unique(call, Field, "key", values, None)

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        _check_field(call, values)
        await _unique(call, Field, "key", values, row_id)


def _check_field(call: Call, values: Mapping[str, Any]) -> None:
    errors = []
    options = values.get("options")
    if options is not None and not isinstance(options, list | dict):
        errors.append(FieldError("options", "The options field must be an array."))
    model = values.get("options_model")
    if model is not None and model not in call.registry.resources:
        errors.append(FieldError("options_model", "The selected options model is invalid."))
    if errors:
        raise failure(errors)


fields = Resource(
    name="fields",
    model=Field,
    label="Field",
    permission="field",
    morph_type=models("Field"),
    writable=(
        "name",
        "key",
        "type",
        "cast",
        "description",
        "placeholder",
        "default",
        "help",
        "required",
        "rules",
        "readonly",
        "hidden",
        "options",
        "options_type",
        "options_model",
        *STAMPS,
    ),
    rules={
        "name": REQUIRED,
        "key": Rule(required=True, pattern=KEY_PATTERN),
        "type": Rule(required=True, choices=FIELD_TYPES),
        "options_type": Rule(choices=OPTIONS_TYPES),
    },
    searchable=("name", "key", "description"),
    scopes=VISIBILITY_SCOPES,
    default_filter=visible_only,
    service=FieldRules(),
    spec_description="Questions forms and profiles ask; ``key`` names the answer.",
)


# -- submissions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One field of a form, as submission validation needs it."""

    key: str
    type: str
    required: bool
    readonly: bool
    options: Any
    options_type: str | None
    options_model: str | None


@dataclass
class PendingFile:
    """An accepted upload, stored once the submission is written."""

    data: bytes
    content_type: str
    extension: str


async def _questions(call: Call, form_id: int) -> list[Question] | None:
    """The fields of one of the tenant's forms in their order; ``None`` if no such form."""
    form = await call.conn.scalar(
        select(Form.id).where(same_tenant(Form, call), Form.id == form_id)
    )
    if form is None:
        return None
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
            MODEL_FIELDS.c.model_type == FORM_TYPE,
            MODEL_FIELDS.c.model_id == form_id,
        )
        .order_by(MODEL_FIELDS.c.order, Field.id)
    )
    return [Question(*row) for row in rows.all()]


class SubmissionRules(ResourceRules):
    """Answers are checked against the form's fields; the first status is the form's."""

    open_create = True

    async def may_create_unscoped(self, call: Call, payload: Mapping[str, Any]) -> bool:
        form_id = payload.get("form_id")
        if isinstance(form_id, str) and form_id.strip().isdigit():
            form_id = int(form_id.strip())
        if not isinstance(form_id, int) or isinstance(form_id, bool) or form_id < 1:
            return False
        public = await call.db.scalar(
            select(Form.is_public).where(
                same_tenant(Form, call), Form.id == min(form_id, 2**63 - 1)
            )
        )
        return bool(public)

    async def custom_input(
        self,
        call: Call,
        payload: Mapping[str, Any],
        values: dict[str, Any],
        *,
        row_id: int | None,
        prefix: str,
    ) -> list[FieldError]:
        creating = row_id is None
        data: dict[str, Any] = {}
        files: dict[str, Any] = {}
        form_id = values.get("form_id")
        if not creating:
            current = (
                await call.conn.execute(
                    select(Submission.form_id, Submission.data, Submission.files).where(
                        same_tenant(Submission, call), Submission.id == row_id
                    )
                )
            ).first()
            if current is None:
                return []
            form_id = form_id or current[0]
            data = dict(current[1] or {})
            files = dict(current[2] or {})
        if not isinstance(form_id, int):
            return []
        questions = await _questions(call, form_id)
        if questions is None:
            return []  # the reference check reports the form
        errors: list[FieldError] = []
        raw = {k: v if isinstance(v, UploadFile) else clean(v) for k, v in payload.items()}
        for question in questions:
            key = question.key
            if question.readonly:
                continue
            value = raw.get(key)
            if value is None:
                if question.required and (creating or key in raw):
                    errors.append(
                        FieldError(prefix + key, f"The {attribute(key)} field is required.")
                    )
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
        if not errors:
            values["data"] = data
            values["files"] = files
        return errors

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        values.setdefault("data", {})
        values["files"] = await _store_files(call, values.get("files") or {})

    async def after_create(self, call: Call, row_id: int, values: Mapping[str, Any]) -> None:
        status = await call.conn.scalar(
            select(Form.submission_status_id).where(
                same_tenant(Form, call), Form.id == values["form_id"]
            )
        )
        if status is not None:
            call.session.add(
                StatusRecord(status_id=status, model_type=SUBMISSION_TYPE, model_id=row_id)
            )
            await call.session.flush()

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        if "files" not in values:
            return
        before = await call.conn.scalar(
            select(Submission.files).where(same_tenant(Submission, call), Submission.id == row_id)
        )
        values["files"] = await _store_files(call, values["files"])
        kept = set(_paths(values["files"]))
        call.files_to_delete.extend(p for p in _paths(before) if p not in kept)

    async def before_delete(self, call: Call, row_id: int) -> None:
        await call.conn.execute(
            delete(STATUS_RECORDS).where(
                same_tenant(STATUS_RECORDS, call),
                STATUS_RECORDS.c.model_type == SUBMISSION_TYPE,
                STATUS_RECORDS.c.model_id == row_id,
            )
        )
        files = await call.conn.scalar(
            select(Submission.files).where(same_tenant(Submission, call), Submission.id == row_id)
        )
        call.files_to_delete.extend(_paths(files))


def _paths(files: Any) -> list[str]:
    if not isinstance(files, dict):
        return []
    return [p for p in files.values() if isinstance(p, str) and p]


async def _store_files(call: Call, files: Mapping[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for key, value in files.items():
        if isinstance(value, PendingFile):
            path = (
                f"perscom/{call.tenant_id}/submissions/{uuid.uuid4().hex}"
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


def _answers(row: Mapping[str, Any], context: RenderContext) -> dict[str, Any]:
    """The submission's answers at the top level; every file with a ``<key>_url``."""
    found: dict[str, Any] = dict(row["_data"] or {})
    for key, path in (row["_files"] or {}).items():
        found[key] = path
        found[f"{key}_url"] = context.public_url(path) if isinstance(path, str) and path else None
    return found


def _answer_columns(resource: Compiled) -> Mapping[str, Any]:
    return {"_data": resource.table.c.data, "_files": resource.table.c.files}


def _v1_statuses(entity: dict[str, Any]) -> None:
    """v1 single submissions re-render their included statuses with the pre-v2 colours."""
    for status in entity.get("statuses") or ():
        if isinstance(status, dict):
            status["text_color"] = status["bg_color"] = status.get("color")


submissions = Resource(
    name="submissions",
    model=Submission,
    label="Submission",
    permission="submission",
    morph_type=SUBMISSION_TYPE,
    fields=("id", "form_id", "user_id", "read_at", "created_at", "updated_at"),
    writable=("form_id", "user_id", "read_at", *STAMPS),
    rules={"form_id": REQUIRED, "user_id": REQUIRED},
    computed=(Computed("answers", _answers, {"type": "object"}, sql=_answer_columns, spread=True),),
    relations=(
        BelongsTo("form", "forms", "form_id"),
        BelongsTo("user", "users", "user_id"),
        BelongsToMany(
            "statuses",
            "statuses",
            STATUS_RECORDS,
            parent_key="model_id",
            related_key="status_id",
            pivot_fields=("id", "text"),
            pivot_where=(("model_type", SUBMISSION_TYPE),),
            pivot_include="record",
        ),
        *discussed(SUBMISSION_TYPE, attached=False),
    ),
    includes=(
        *("comments", "comments.*", "form", "form.*", "user", "user.*"),
        *("statuses", "statuses.record"),
    ),
    searchable=(),
    default_sort=(("created_at", "desc"), ("id", "desc")),
    nested=("statuses",),
    service=SubmissionRules(),
    v1_single=_v1_statuses,
    spec_description=(
        "Answers to a form; the form's field keys are top-level keys of the body and of "
        "the answer (files as multipart, answered with ``<key>_url``)."
    ),
)

DECLARATIONS = (forms, fields, submissions)

__all__ = ["DECLARATIONS"]
