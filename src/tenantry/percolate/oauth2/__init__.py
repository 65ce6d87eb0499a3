"""Percolate's OAuth 2.0 authorization server (Authlib core) and its storage."""
