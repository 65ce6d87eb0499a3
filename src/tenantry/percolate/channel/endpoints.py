"""``/api/v5/channel/`` (reference §3.7): publishing destinations in a scope, on a platform."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Update, resource_router
from tenantry.percolate.channel.bodies import ChannelCreate, ChannelUpdate
from tenantry.percolate.channel.declaration import RESOURCE
from tenantry.percolate.channel.service import create_channel, update_channel

router = resource_router(
    RESOURCE,
    create=Create(ChannelCreate, create_channel, "Create a channel (`license_channel:create`)."),
    update=Update(
        ChannelUpdate, update_channel, "Update a channel; `active: false` deactivates it."
    ),
    list_description="Channels of the account's scopes.",
)
