"""PERSCOM's OAuth 2.0 / OpenID Connect server (Passport's routes on the dashboard host).

Access tokens are PERSCOM API keys (a signed JWT and a ``perscom_api_keys`` row), so the
versioned API accepts them without knowing OAuth exists.
"""
