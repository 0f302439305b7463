"""Credentials for Confluence: each mode produces the ``Authorization`` header and says
in words which credential Confluence refused, so a 401 can be reported without the secret.

OAuth 2.0 (Cloud) will be another :class:`Auth` whose ``headers()`` refreshes its token.
"""

from __future__ import annotations

import base64


class Auth:
    """Base of every credential mode."""

    #: Human description of the credential, used in 401 messages (never the secret itself).
    description = "the credentials"

    async def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def __repr__(self) -> str:  # never print secrets, even by accident
        return f"<{type(self).__name__} {self.description}>"


class BasicAuth(Auth):
    """``Authorization: Basic base64(user:secret)`` (Server/DC password, Cloud API token)."""

    def __init__(self, user: str, secret: str, description: str):
        token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        self._header = f"Basic {token}"
        self.description = description

    async def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}


class BearerAuth(Auth):
    """``Authorization: Bearer <token>`` (Data Center personal access token)."""

    def __init__(self, token: str, description: str):
        self._header = f"Bearer {token}"
        self.description = description

    async def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}
