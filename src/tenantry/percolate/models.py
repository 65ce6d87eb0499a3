"""Every table of the Percolate face, for the model registry (``tenantry.models``)."""

from tenantry.percolate.apikeys import ApiKey
from tenantry.percolate.oauth2.models import (
    OAuthClient,
    OAuthClientDirectory,
    OAuthCode,
    OAuthGrant,
    OAuthToken,
)

__all__ = ["ApiKey", "OAuthClient", "OAuthClientDirectory", "OAuthCode", "OAuthGrant", "OAuthToken"]
