"""The demo account's media library: folders in the first license, a few generated images
with their variants, the first demo post naming one of them, and the three-step upload as
commands to paste. Runs after :mod:`tenantry.percolate.demo.content`."""

from __future__ import annotations

import io

import anyio.to_thread
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.scopes import Scope
from tenantry.core.storage import open_storage
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.asset.models import Asset, Variant
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.post.models import Post
from tenantry.percolate.post.refs import sync_post_refs
from tenantry.percolate.variant.renditions import render
from tenantry.settings import Settings

__all__ = ["seed_demo"]

PICTURES = (
    ("spring-shoes.jpg", "seagreen"),
    ("holiday-bags.jpg", "firebrick"),
    ("store.jpg", "navy"),
)


def _picture(color: str, label: str) -> bytes:
    image = Image.new("RGB", (1200, 800), color)
    ImageDraw.Draw(image).text((40, 40), label, fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def seed_demo(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: int,
    admin_user_id: int,
) -> list[str]:
    """Fill the demo library; lines use ``{base}`` for the origin."""
    storage = open_storage(settings)
    try:
        async with tenant_session(sessions, tenant_id) as session:
            license_id = await session.scalar(
                select(Scope.id).where(Scope.kind == "license").order_by(Scope.id)
            )
            if license_id is None:
                return []
            campaigns = Folder(scope_id=license_id, name="Campaigns", creator_id=admin_user_id)
            session.add(campaigns)
            await session.flush()
            spring = Folder(
                scope_id=license_id, parent_id=campaigns.id, name="Spring", creator_id=admin_user_id
            )
            session.add(spring)
            await session.flush()
            assets: list[Asset] = []
            for name, color in PICTURES:
                data = _picture(color, name)
                asset = Asset(
                    scope_id=license_id,
                    folder_id=spring.id,
                    type="image",
                    content_type="image/jpeg",
                    filename=name,
                    title=name,
                    size=len(data),
                    creator_id=admin_user_id,
                    created_through="Tenantry demo",
                    storage_key="",
                    width=1200,
                    height=800,
                )
                session.add(asset)
                await session.flush()
                asset.storage_key = f"assets/{tenant_id}/{asset.id}/{name}"
                await storage.put(asset.storage_key, data, "image/jpeg")
                for rendition in await anyio.to_thread.run_sync(render, data):
                    key = f"variants/{tenant_id}/{asset.id}/{rendition.name}"
                    await storage.put(key, rendition.data, rendition.content_type)
                    session.add(
                        Variant(
                            asset_id=asset.id,
                            name=rendition.name,
                            content_type=rendition.content_type,
                            size=len(rendition.data),
                            width=rendition.width,
                            height=rendition.height,
                            storage_key=key,
                        )
                    )
                assets.append(asset)
            post = await session.scalar(select(Post).order_by(Post.id))
            if post is not None:
                post.ext = {**post.ext, "photo": [f"asset:{assets[0].id}"]}
                await session.flush()
                await sync_post_refs(session, tenant_id, post.id)
    finally:
        await storage.close()
    body = f'{{"scope_id":"license:{license_id}","type":"file","ext":{{"filename":"photo.jpg"}}}}'
    auth = '-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json"'
    fields = "'.data.ext.fields | to_entries[] | \"-F \\(.key)=\\(.value)\"'"
    return [
        f"Percolate library: folders Campaigns/Spring (folder:{spring.id}) in"
        f" license:{license_id}, {len(assets)} images with variants; the first post shows"
        f" asset:{assets[0].id}.",
        "  Upload a file in three steps (needs jq), then poll:",
        f"  UPLOAD=$(curl -s {auth} -d '{body}' {{base}}/api/v5/upload/ | jq -r .data.id)",
        f'  POLICY=$(curl -s {auth} -d \'{{"upload_id":"\'$UPLOAD\'","type":"s3"}}\''
        " {base}/api/v5/upload_policy/)",
        f'  curl -s $(echo "$POLICY" | jq -r {fields}) -F file=@photo.jpg'
        ' "$(echo "$POLICY" | jq -r .data.url)"',
        '  curl -s -H "Authorization: Bearer $TOKEN" {base}/api/v5/upload/$UPLOAD',
    ]
