"""``tenantry perscom …``: the face's command group (OAuth clients, webhooks, the API log)."""

from __future__ import annotations

import typer

from tenantry.perscom.activity.cli import activity_app
from tenantry.perscom.oauth.cli import oauth_client_app
from tenantry.perscom.webhooks.cli import webhook_app

__all__ = ["perscom_app"]

perscom_app = typer.Typer(
    help="PERSCOM.io face: OAuth clients, webhooks and the API log.", no_args_is_help=True
)
perscom_app.add_typer(oauth_client_app, name="oauth-client")
perscom_app.add_typer(webhook_app, name="webhook")
perscom_app.add_typer(activity_app, name="activity")
