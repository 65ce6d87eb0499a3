"""Tables of the asset domain: library files and their renditions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class Asset(TenantOwned, Base):
    """A file in a license's library; the bytes live in storage under ``storage_key``.

    ``folder_id`` null is the library root. Deleting keeps the folder so a restore goes back
    to it; ``trashed_with`` names the folder whose delete carried the asset along.
    """

    __tablename__ = "percolate_assets"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        tenant_fk(["folder_id"], "percolate_folders"),
        Index(
            "ix_percolate_assets_tenant_id_scope_id_folder_id", "tenant_id", "scope_id", "folder_id"
        ),
        Index(
            "ix_percolate_assets_tenant_id_scope_id_file_hash", "tenant_id", "scope_id", "file_hash"
        ),
    )

    scope_id: Mapped[int] = mapped_column(BigInteger)
    folder_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    type: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default="ready")
    created_through: Mapped[str | None] = mapped_column(String(255), default=None)
    creator_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    trashed_with: Mapped[int | None] = mapped_column(BigInteger, default=None)
    storage_key: Mapped[str] = mapped_column(String(1024))
    file_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    exif: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


VARIANTS_JOB = "percolate.asset.variants"
"""The job that makes (or remakes) an image asset's variants."""


class Variant(TenantOwned, Base):
    """A rendition of an asset (``medium``, ``square``, ``thumbnail``) made by a job."""

    __tablename__ = "percolate_variants"
    __table_args__ = (
        tenant_fk(["asset_id"], "percolate_assets", ondelete="CASCADE"),
        Index("ix_percolate_variants_tenant_id_asset_id", "tenant_id", "asset_id"),
    )

    asset_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20), default="image")
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(1024))


class AssetVersion(TenantOwned, Base):
    """One file an asset has held: ``number`` counts from 1, the highest is the current one.

    A replacement adds the new file's version; a rollback adds a version repeating an older
    one's file (same ``storage_key``), so history only grows and nothing is overwritten.
    """

    __tablename__ = "percolate_asset_versions"
    __table_args__ = (
        tenant_fk(["asset_id"], "percolate_assets", ondelete="CASCADE"),
        Index("ix_percolate_asset_versions_tenant_id_asset_id", "tenant_id", "asset_id"),
    )

    asset_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    storage_key: Mapped[str] = mapped_column(String(1024))
    file_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    exif: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    creator_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
