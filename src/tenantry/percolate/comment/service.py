"""Comment rules: comments on posts and channels, replies, mentions
and coordinate pins. Reading follows the commented object's read capability; editing and
deleting are for the author or a holder of ``comment:manage`` in the object's scope.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.comment.bodies import CommentCreate, CommentUpdate, Mention
from tenantry.percolate.comment.declaration import KIND, USER
from tenantry.percolate.comment.models import Comment
from tenantry.percolate.metadata.declaration import OBJECTS


async def _mentions(ctx: V5Context, mentions: list[Mention], text: str) -> list[dict[str, int]]:
    """The stored form ``{user, offset, length}``: each a user of the tenant, each span
    inside the comment's text."""
    keys = [USER.parse(m.object_id, f"mentions.{i}.object_id") for i, m in enumerate(mentions)]
    found = set(
        (
            await ctx.session.scalars(
                select(User.id).where(of_tenant(User, ctx.tenant_id), User.id.in_(keys))
            )
        ).all()
    )
    for i, (mention, key) in enumerate(zip(mentions, keys, strict=True)):
        if key not in found:
            raise forbidden(f"mentions.{i}.object_id", mention.object_id, "user")
        if mention.offset + mention.length > len(text):
            raise invalid(f"mentions.{i}", "The mention lies outside the comment's body.")
    return [
        {"user": key, "offset": m.offset, "length": m.length}
        for m, key in zip(mentions, keys, strict=True)
    ]


async def create_comment(ctx: V5Context, body: CommentCreate) -> int:

    kind, _, number = body.object_id.partition(":")
    spec = OBJECTS.get(kind)
    if spec is None:
        raise invalid("object_id", f"Comments on {kind} objects are not supported here.", kind)
    target = await ctx.session.get(spec.model, (ctx.tenant_id, int(number)))
    if target is None or not await ctx.can(spec.read, target.scope_id):
        raise forbidden("object_id", body.object_id, kind)
    parent_key: int | None = None
    if body.parent_comment_id is not None:
        parent_key = KIND.parse(body.parent_comment_id, "parent_comment_id")
        parent = await ctx.session.get(Comment, (ctx.tenant_id, parent_key))
        if parent is None or (parent.object_kind, parent.object_key) != (kind, int(number)):
            raise forbidden("parent_comment_id", body.parent_comment_id, "comment")
    if (body.context_type is None) != (body.context_ext is None):
        raise invalid("context_ext", "A coordinate pin needs context_type and context_ext.")
    comment = Comment(
        tenant_id=ctx.tenant_id,
        object_kind=kind,
        object_key=int(number),
        scope_id=target.scope_id,
        user_id=ctx.user_id,
        body=body.body,
        mentions=await _mentions(ctx, body.mentions, body.body),
        parent_comment_id=parent_key,
        context_type=body.context_type,
        context_ext=body.context_ext.model_dump() if body.context_ext is not None else None,
    )
    ctx.session.add(comment)
    await ctx.session.flush()
    return comment.id


async def _editable(ctx: V5Context, key: int) -> Comment:
    """A comment the caller may see, and wrote or may manage (403 otherwise)."""

    wire = f"comment:{key}"
    comment = await ctx.session.get(Comment, (ctx.tenant_id, key))
    if comment is None or not await ctx.can(OBJECTS[comment.object_kind].read, comment.scope_id):
        raise forbidden("comment_id", wire, "comment")
    if comment.user_id != ctx.user_id:
        await ctx.require("comment:manage", comment.scope_id, "comment_id", wire)
    return comment


async def update_comment(ctx: V5Context, key: int, body: CommentUpdate) -> None:
    comment = await _editable(ctx, key)
    if body.body is not None:
        comment.body = body.body
    if body.mentions is not None:
        comment.mentions = await _mentions(ctx, body.mentions, comment.body)
    if body.context_ext is not None:
        if comment.context_type is None:
            raise invalid("context_ext", "Only a coordinate pin has a context_ext.")
        comment.context_ext = body.context_ext.model_dump()
    await ctx.session.flush()


async def delete_comment(ctx: V5Context, key: int) -> None:
    """Delete a comment and its replies."""

    comment = await _editable(ctx, key)
    await ctx.session.execute(
        delete(Comment)
        .where(of_tenant(Comment, ctx.tenant_id), Comment.parent_comment_id == key)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.delete(comment)
    await ctx.session.flush()
