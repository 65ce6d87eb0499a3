"""The ``Face`` protocol is the only plug: the app, the CLI and the demo take what the listed
faces contribute, and neither the core nor the shared web pages import a face."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from tenantry import cli, faces
from tenantry.app import create_app
from tenantry.percolate.api.runtime import PercolateRuntime
from tenantry.perscom import PerscomFace
from tenantry.perscom.face import PerscomRuntime
from tenantry.settings import Settings
from tenantry.web.templating import WebUI

pytestmark = pytest.mark.anyio

SOURCE = Path(cli.__file__).resolve().parent
FACE_PACKAGES = ("tenantry.perscom", "tenantry.percolate")
WIRING = ("tenantry.faces", "tenantry.app", "tenantry.cli", "tenantry.demo", "tenantry.models")
"""Modules that list the faces: importing one of them imports every face."""


def imported_names(package: str) -> dict[str, set[str]]:
    """Per module of ``package``: every module it imports, by statement or by dotted string."""
    found: dict[str, set[str]] = {}
    for path in sorted((SOURCE / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Constant) and str(node.value).startswith("tenantry."):
                names.add(str(node.value))
        found[str(path.relative_to(SOURCE.parent))] = names
    return found


def offending(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad: dict[str, list[str]] = {}
    for module, names in imported_names(package).items():
        hits = sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
        if hits:
            bad[module] = hits
    return bad


@pytest.mark.parametrize("package", ["core", "web"])
def test_core_and_web_import_no_face(package: str) -> None:
    assert offending(package, (*FACE_PACKAGES, *WIRING)) == {}


@pytest.mark.parametrize("package", ["perscom", "percolate"])
def test_faces_do_not_import_the_wiring(package: str) -> None:
    assert offending(package, WIRING) == {}


async def test_an_app_with_a_subset_of_faces_installs_only_those(settings: Settings) -> None:
    app = create_app(settings, faces=[PerscomFace()])
    try:
        assert set(app.state.faces) == {"perscom"}
        assert isinstance(app.state.faces["perscom"], PerscomRuntime)
        assert hasattr(app.state, "web_ui")  # /oauth/authorize signs people in on the web pages
        paths = {getattr(route, "path", "") for route in app.router.routes}
        assert "/v1/spec.json" in paths
        assert not any(path.startswith(("/api/v5", "/auth")) for path in paths)
        assert [entry.json_url for entry in app.state.platform.specs] == [
            "/v1/spec.json",
            "/v2/spec.json",
        ]
    finally:
        await app.state.platform.close()


async def test_every_face_runtime_is_returned(settings: Settings) -> None:
    app = create_app(settings)
    try:
        runtimes = app.state.faces
        assert list(runtimes) == [face.name for face in faces.FACES]
        assert isinstance(runtimes["web"], WebUI) and runtimes["web"] is app.state.web_ui
        assert isinstance(runtimes["percolate"], PercolateRuntime)
        assert runtimes["percolate"] is app.state.percolate
        assert isinstance(runtimes["perscom"], PerscomRuntime)
        assert runtimes["perscom"] is app.state.perscom
    finally:
        await app.state.platform.close()


def command_names(app: typer.Typer) -> set[str]:
    command = typer.main.get_command(app)
    if isinstance(command, TyperGroup):
        return set(command.commands)
    return {str(command.name)}


def test_the_cli_lists_every_face_command() -> None:
    root = typer.main.get_command(cli.app)
    assert isinstance(root, TyperGroup)
    demo = root.commands["demo"]
    assert isinstance(demo, TyperGroup)
    for face in faces.FACES:
        contributed = face.commands()
        for name in contributed.groups:
            assert name in root.commands, (face.name, name)
        for extra in contributed.demo:
            assert command_names(extra) <= set(demo.commands), face.name
    assert {"apikey", "scope", "oauth-client", "token"} <= set(root.commands)
    assert "receiver" in demo.commands


def test_demo_seeders_run_perscom_then_percolate() -> None:
    seeders = [f"{seeder.__module__}.{seeder.__name__}" for seeder in faces.demo_seeders()]
    assert seeders == [
        "tenantry.perscom.demo.seed_demo",
        "tenantry.percolate.demo.oauth.seed_demo",
        "tenantry.percolate.demo.organisation.seed_demo",
        "tenantry.percolate.demo.content.seed_demo",
        "tenantry.percolate.demo.library.seed_demo",
    ]


def test_workers_and_the_model_registry_take_the_faces_modules() -> None:
    from tenantry.models import Base

    assert "tenantry.percolate.post.publishing" in faces.job_modules()
    assert faces.model_modules() == ["tenantry.percolate.models", "tenantry.perscom.models"]
    for table in ("perscom_ranks", "percolate_posts", "web_two_factor"):
        assert table in Base.metadata.tables
