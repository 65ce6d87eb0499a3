"""``tenantry demo receiver``: run the demo's local receiver from the shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tenantry.core.console import fail, settings_or_exit

demo_app = typer.Typer()
"""Its commands join ``tenantry demo``."""

__all__ = ["demo_app"]


@demo_app.command("receiver")
def demo_receiver(
    port: Annotated[int, typer.Option(help="Port to listen on (the demo points at 8765).")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Receive the demo's signed deliveries and print one JSON line for each.

    The signing secret is derived from this installation's secret key, so run it with the
    server's settings. A verified request is answered 200, a bad signature 401.
    """
    from tenantry.percolate.demo.content import demo_secret
    from tenantry.percolate.demo.receiver import DemoReceiver

    settings = settings_or_exit()
    if not settings.secret_key and not (settings.data_dir / "secret_key").exists():
        fail(
            f"no secret key in {settings.data_dir.resolve()}: run the receiver with the server's"
            " TENANTRY_DATA_DIR (or TENANTRY_SECRET_KEY)"
        )
    try:
        receiver = DemoReceiver(demo_secret(settings), sys.stdout, host=host, port=port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    typer.echo(f"tenantry: demo receiver listening on {receiver.url}", err=True)
    receiver.serve_forever()
