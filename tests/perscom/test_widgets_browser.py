"""Widgets in Debian's chromium (Playwright): the roster and calendar in light and dark
(screenshots in ``test-output/widgets/``; the committed copies are in ``docs/screenshots/``),
and a form widget that a person fills in and submits, which stores a submission.

The browser's requests are answered by the ASGI app itself (Playwright's request routing
hands each one to the test client), so no server process is needed and nothing is mocked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tests.perscom.conftest import Org
from tests.perscom.factories import payload_for, png_bytes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
HAVE_CHROMIUM = Path(CHROMIUM).exists()
ORIGIN = "http://widgets.test"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "widgets"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    playwright_api = pytest.importorskip("playwright.async_api")
    if not HAVE_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def page_on_app(browser: Any, client: httpx.AsyncClient) -> Any:
    """A page whose every request is served by the ASGI app."""
    context = await browser.new_context(viewport={"width": 900, "height": 700})
    page = await context.new_page()

    async def serve(route: Any) -> None:
        request = route.request
        parts = urlsplit(request.url)  # the page's host or the app's base URL (files)
        headers = {k: v for k, v in request.headers.items() if k.lower() == "content-type"}
        response = await client.request(
            request.method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            content=request.post_data_buffer,
            headers={**headers, "Authorization": "", "X-Perscom-Id": ""},
        )
        await route.fulfill(
            status=response.status_code,
            headers={"content-type": response.headers.get("content-type", "text/html")},
            body=response.content,
        )

    await page.route("**/*", serve)
    return page


async def make(api: httpx.AsyncClient, kind: str, **fields: object) -> dict[str, Any]:
    body = {**(await payload_for(api, kind)), **fields}
    response = await api.post(f"/v1/{kind}", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()["data"]
    return made


async def seed(api: httpx.AsyncClient) -> None:
    """A small unit: ranks with insignia, people with positions and statuses, events."""
    group = await make(api, "groups", name="1st Battalion")
    active = await make(api, "statuses", name="Active", color="#16a34a")
    leave = await make(api, "statuses", name="On leave", color="#ca8a04")
    rifleman = await make(api, "positions", name="Rifleman")
    leader = await make(api, "positions", name="Squad Leader")
    infantry = await make(api, "specialties", name="Infantry", abbreviation="11B")
    ranks = []
    for order, (name, short, colour) in enumerate(
        [("Sergeant", "SGT", "navy"), ("Corporal", "CPL", "teal"), ("Private", "PVT", "gray")]
    ):
        rank = await make(api, "ranks", name=name, abbreviation=short, order=order)
        image = await api.post(
            f"/v1/ranks/{rank['id']}/image",
            data={"name": f"{short} insignia"},
            files={"image": (f"{short}.png", png_bytes((24, 24), colour), "image/png")},
        )
        assert image.status_code == 201, image.text
        ranks.append(rank)
    people = [
        ("Alex Carter", 0, leader, active),
        ("Jordan Reyes", 1, rifleman, active),
        ("Sam Okafor", 2, rifleman, leave),
    ]
    for unit_name in ("Alpha Company", "Bravo Company"):
        unit = await make(api, "units", name=unit_name)
        linked = await api.post(
            f"/v1/groups/{group['id']}/units/attach", json={"resources": [unit["id"]]}
        )
        assert linked.status_code == 200, linked.text
        for name, rank, position, status in people:
            await make(
                api,
                "users",
                name=f"{name} ({unit_name[0]})",
                unit_id=unit["id"],
                rank_id=ranks[rank]["id"],
                position_id=position["id"],
                specialty_id=infantry["id"],
                status_id=status["id"],
            )
    calendar = await make(api, "calendars", name="Operations", color="#7c3aed")
    start = datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0)
    for day, name in (
        (1, "Weekly drill"),
        (3, "Range day <script>alert(1)</script>"),
        (8, "Ceremony"),
    ):
        begins = start + timedelta(days=day)
        await make(
            api,
            "events",
            name=name,
            calendar_id=calendar["id"],
            starts=begins.isoformat(),
            ends=(begins + timedelta(hours=2)).isoformat(),
            all_day=False,
            location="Fort Example",
            description="Bring your kit.",
        )


async def test_roster_and_calendar_light_and_dark(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org, browser: Any
) -> None:
    await seed(api)
    page = await page_on_app(browser, client)
    SHOTS.mkdir(parents=True, exist_ok=True)
    alerts: list[str] = []
    page.on("dialog", lambda dialog: alerts.append(dialog.message))
    for widget in ("roster", "calendar"):
        for theme in ("light", "dark"):
            dark = "&dark=true" if theme == "dark" else ""
            await page.goto(f"{ORIGIN}/v2/widgets/{widget}?apikey={org.token}{dark}")
            assert await page.locator("body").get_attribute("class") == theme
            await page.screenshot(path=str(SHOTS / f"widget-{widget}-{theme}.png"), full_page=True)
    await page.goto(f"{ORIGIN}/v2/widgets/roster?apikey={org.token}")
    assert await page.locator("tr.person").count() == 6
    sizes = await page.locator("img.icon").evaluate_all("(all) => all.map(i => i.naturalWidth)")
    assert sizes == [24] * 6  # the insignia load through their signed links
    assert "Alex Carter (A)" in await page.locator("body").inner_text()
    await page.goto(f"{ORIGIN}/v2/widgets/calendar?apikey={org.token}")
    assert "Range day <script>alert(1)</script>" in await page.locator("body").inner_text()
    assert alerts == []


async def test_form_widget_submits_a_submission(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org, browser: Any
) -> None:
    form = await make(api, "forms", name="Leave request", success_message="Leave request filed")
    for key, kind in (("reason", "text"), ("details", "textarea")):
        field = await make(api, "fields", name=key.title(), key=key, type=kind, required=True)
        linked = await api.post(
            f"/v1/forms/{form['id']}/fields/attach", json={"resources": [field["id"]]}
        )
        assert linked.status_code == 200, linked.text
    page = await page_on_app(browser, client)
    await page.goto(f"{ORIGIN}/v2/widgets/forms/{form['id']}?apikey={org.token}&dark=true")
    await page.fill("#field-reason", "Family visit")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "required" in (await page.locator("body").inner_text()).lower()
    await page.fill("#field-reason", "Family visit")
    await page.fill("#field-details", "Back on Monday")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "Leave request filed" in await page.locator(".submitted").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "widget-form-submitted.png"))
    listed = await api.get(f"/v1/forms/{form['id']}/submissions")
    [submission] = listed.json()["data"]
    assert (submission["reason"], submission["details"]) == ("Family visit", "Back on Monday")
