"""Forms, fields and submissions: how recruits apply and members ask for things.

A form lists fields (ordered); a submission answers them. The answers are not columns:
they are validated against the form's fields at write time (required, type, options, file
size) and kept in the submission's ``data``, then flattened to the top level of its JSON,
with ``<key>_url`` beside every uploaded file. A new submission gets the form's
``submission_status_id`` as its first status. Public forms take submissions from any key of
the tenant; other forms need ``create:submission``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select

from tenantry.core.errors import FieldError
from tenantry.core.resources.scoped import same_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    HasMany,
    Resource,
    ResourceRules,
    Rule,
)
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.resources.answers import (
    ANSWERS,
    Question,
    questions_of,
    read_answers,
    store_files,
    stored_paths,
)
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
from tenantry.perscom.resources.tags import tags_of, tags_scope

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
            call.files_to_delete.extend(stored_paths(files))
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
        tags_of(FORM_TYPE),
    ),
    includes=("fields", "submissions", "submissions.*", "tags"),
    scopes=(tags_scope(FORM_TYPE),),
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


async def _questions(call: Call, form_id: int) -> list[Question] | None:
    """The fields of one of the tenant's forms in their order; ``None`` if no such form."""
    form = await call.conn.scalar(
        select(Form.id).where(same_tenant(Form, call), Form.id == form_id)
    )
    if form is None:
        return None
    return await questions_of(call, FORM_TYPE, form_id)


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
        errors = await read_answers(
            call, questions, payload, (data, files), creating=creating, prefix=prefix
        )
        if not errors:
            values["data"] = data
            values["files"] = files
        return errors

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        values.setdefault("data", {})
        values["files"] = await store_files(call, values.get("files") or {}, "submissions")

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
        values["files"] = await store_files(call, values["files"], "submissions")
        kept = set(stored_paths(values["files"]))
        call.files_to_delete.extend(p for p in stored_paths(before) if p not in kept)

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
        call.files_to_delete.extend(stored_paths(files))


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
    event="submission",
    morph_type=SUBMISSION_TYPE,
    fields=("id", "form_id", "user_id", "read_at", "created_at", "updated_at"),
    writable=("form_id", "user_id", "read_at", *STAMPS),
    rules={"form_id": REQUIRED, "user_id": REQUIRED},
    computed=(ANSWERS,),
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
