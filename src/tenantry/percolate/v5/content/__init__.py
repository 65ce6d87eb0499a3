"""Percolate v5 content (issue 7): versioned schemas, posts with their life cycle and
publication, metadata, comments, webhooks and post webhooks (deliveries go through the core).

``install_content`` mounts the routers; call it after ``install_v5`` (the capabilities and
the resources posts include, such as channels and users, are registered there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tenantry.core.platform import Platform

__all__ = ["install_content"]


def install_content(app: FastAPI, platform: Platform) -> None:
    """Include the content routers (schemas, posts, metadata, comments, webhooks, post
    webhooks, channel publishers, approval workflows)."""
    from tenantry.percolate.v5.content import (
        approval,
        approval_feedback,
        comment,
        metadata,
        post,
        postwebhook,
        publisher,
        schema,
        webhook,
    )

    for module in (schema, post, metadata, comment, webhook, postwebhook, publisher):
        app.include_router(module.router)
    app.include_router(approval.router)  # approval workflows of posts (Tenantry addition)
    app.include_router(approval_feedback.router)
    # Short links of the links plugin: /api/v5/link/ (clicks) and the /l/<code> redirect.
    from tenantry.percolate.v5.content import link_redirect, links

    app.include_router(links.router)
    app.include_router(link_redirect.router)
