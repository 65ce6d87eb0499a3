"""What people earn and hold: awards, qualifications, competencies, credentials, issuers."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk
from tenantry.perscom.engine.declaration import BelongsTo, HasMany, Resource, Rule
from tenantry.perscom.resources.common import CATALOGUE_SORT, IMAGE, REQUIRED, STAMPS, models


class Award(TenantOwned, Base):
    __tablename__ = "perscom_awards"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Qualification(TenantOwned, Base):
    __tablename__ = "perscom_qualifications"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Competency(TenantOwned, Base):
    __tablename__ = "perscom_competencies"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)


class Issuer(TenantOwned, Base):
    __tablename__ = "perscom_issuers"

    name: Mapped[str] = mapped_column(String(255))


class Credential(TenantOwned, Base):
    __tablename__ = "perscom_credentials"
    __table_args__ = (
        tenant_fk(["issuer_id"], "perscom_issuers", ondelete="CASCADE"),
        Index("ix_perscom_credentials_issuer", "tenant_id", "issuer_id"),
    )

    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(255))
    issuer_id: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


CREDENTIAL_TYPES = ("certification", "license", "other")

awards = Resource(
    name="awards",
    model=Award,
    label="Award",
    permission="award",
    morph_type=models("Award"),
    writable=("name", "description", "order", *STAMPS),
    rules={"name": REQUIRED},
    relations=(IMAGE,),
    includes=("image",),
    searchable=("name", "description"),
    default_sort=CATALOGUE_SORT,
    nested=("image",),
)

qualifications = Resource(
    name="qualifications",
    model=Qualification,
    label="Qualification",
    permission="qualification",
    morph_type=models("Qualification"),
    writable=("name", "description", "order", *STAMPS),
    rules={"name": REQUIRED},
    relations=(IMAGE,),
    includes=("image",),
    searchable=("name", "description"),
    default_sort=CATALOGUE_SORT,
    nested=("image",),
)

competencies = Resource(
    name="competencies",
    model=Competency,
    label="Competency",
    permission="competency",
    morph_type=models("Competency"),
    writable=("name", "description", *STAMPS),
    rules={"name": REQUIRED},
    searchable=("name", "description"),
)

issuers = Resource(
    name="issuers",
    model=Issuer,
    label="Issuer",
    permission="issuer",
    morph_type=models("Issuer"),
    writable=("name", *STAMPS),
    rules={"name": REQUIRED},
    relations=(HasMany("credentials", "credentials", "issuer_id"),),
    includes=("credentials",),
    searchable=("name",),
)

credentials = Resource(
    name="credentials",
    model=Credential,
    label="Credential",
    permission="credential",
    morph_type=models("Credential"),
    writable=("name", "type", "issuer_id", "description", "order", *STAMPS),
    rules={
        "name": REQUIRED,
        "type": Rule(required=True, choices=CREDENTIAL_TYPES),
        "issuer_id": REQUIRED,
    },
    relations=(BelongsTo("issuer", "issuers", "issuer_id"),),
    includes=("issuer",),
    searchable=("name", "description"),
    default_sort=CATALOGUE_SORT,
)

DECLARATIONS = (awards, qualifications, competencies, issuers, credentials)
