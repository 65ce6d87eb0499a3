"""Rendering a console page: the console's CSP, its section navigation, and list paging.

Lists page by offset (``?page=N``, fixed size): tenant admin lists are short enough that the
offset never gets expensive, and a page number is what a person can bookmark or type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse

from tenantry.console.access import CONSOLE_CSP
from tenantry.web.templating import Page

PAGE_SIZE = 20
MAX_PAGE = 100_000
T = TypeVar("T")

SECTIONS = (
    ("/console/", "Overview"),
    ("/console/api-keys", "API keys"),
    ("/console/oauth-clients", "OAuth clients"),
    ("/console/webhooks", "Webhooks"),
    ("/console/users", "Users"),
    ("/console/organization", "Organisation"),
    ("/console/audit", "Audit log"),
)

__all__ = ["PAGE_SIZE", "Paging", "page_number", "paged_rows", "paging", "render"]


@dataclass(frozen=True)
class Paging:
    """Which slice of a list is shown, and the links to its neighbours."""

    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.last else None


def paging(number: int, total: int) -> Paging:
    """A page of ``total`` rows; a number past the end shows the last page."""
    shown = max(1, min(number, MAX_PAGE))
    last = max(1, -(-total // PAGE_SIZE))
    return Paging(min(shown, last), total)


async def paged_rows(
    session: AsyncSession, model: type[T], number: int, *, order: Any
) -> tuple[list[T], Paging]:
    """Page ``number`` of the session's tenant's ``model`` rows, sorted by ``order``."""
    shown = paging(number, int(await session.scalar(select(func.count()).select_from(model)) or 0))
    rows = await session.scalars(
        select(model).order_by(order).offset(shown.offset).limit(PAGE_SIZE)
    )
    return list(rows), shown


def page_number(page: Page) -> int:
    """``?page=N`` as typed; anything that is not a small number means the first page."""
    text = page.request.query_params.get("page", "1")
    return int(text) if text.isdigit() and len(text) < 7 else 1


def render(
    page: Page, template: str, *, section: str, status: int = 200, **context: Any
) -> HTMLResponse:
    return page.render(
        template,
        status=status,
        headers={"Content-Security-Policy": CONSOLE_CSP},
        sections=SECTIONS,
        section=section,
        **context,
    )
