"""The face-neutral half of an OAuth 2.0 server on Authlib: requests, client credentials,
token bodies and the server glue. Each face keeps its storage, grants and wire shapes."""
