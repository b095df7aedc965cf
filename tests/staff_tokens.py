"""Staff access tokens for tests of the services that verify them (notifier, SLA, classifier).

The cases service issues real ones (tests/cases); here a small fake issuer signs the same claims
with the test key every test process has in KESU_STAFF_JWT_SECRET (tests/conftest.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt

TEST_STAFF_SECRET = "kesu-tests-jwt-secret-0123456789abcdef"
# Long enough for tests that move a frozen service clock by months.
_VALID_FOR = timedelta(days=3650)


def staff_token(role: str = "admin", *, username: str | None = None, org_path: str = "/HO/",
                now: datetime | None = None, secret: str = TEST_STAFF_SECRET, valid_for: timedelta = _VALID_FOR) -> str:
    """A signed access token for a staff member of ``role`` (issued a day before ``now``)."""
    issued = (now or datetime.now(timezone.utc)) - timedelta(days=1)
    claims = {"sub": str(uuid.uuid4()), "username": username or f"test-{role}", "role": role,
              "org": org_path.strip("/").rsplit("/", 1)[-1], "org_path": org_path, "team": None,
              "iat": int(issued.timestamp()), "exp": int((issued + valid_for).timestamp()), "jti": str(uuid.uuid4()),
              "iss": "kesu/cases", "aud": "kesu-staff"}
    return jwt.encode(claims, secret, algorithm="HS256")


def staff_headers(role: str = "admin", **kwargs) -> dict[str, str]:
    """An Authorization header carrying ``staff_token(role, ...)``."""
    return {"Authorization": f"Bearer {staff_token(role, **kwargs)}"}
