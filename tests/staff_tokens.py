"""Staff access tokens for tests of the services that verify them (notifier, SLA, classifier).

Issued by the cases service's own issuer (``services.cases.tokens``) with the test key every
test process has in KESU_STAFF_JWT_SECRET (tests/conftest.py), so the claims are the real ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from pydantic import SecretStr

from services.cases import tokens
from shared.staff import Principal, Role

TEST_STAFF_SECRET = "kesu-tests-jwt-secret-0123456789abcdef"
# Long enough for tests that move a frozen service clock by months.
_VALID_FOR = timedelta(days=3650)


def staff_token(role: str = "admin", *, username: str | None = None, org_path: str = "/HO/",
                now: datetime | None = None, secret: str = TEST_STAFF_SECRET, valid_for: timedelta = _VALID_FOR) -> str:
    """A signed access token for a staff member of ``role`` (issued a day before ``now``)."""
    issued = (now or datetime.now(timezone.utc)) - timedelta(days=1)
    # A role the platform does not know still gets a well-signed token: verifiers must refuse it.
    principal = Principal(user_id=str(uuid.uuid4()), username=username or f"test-{role}",
                          role=Role(role) if role in Role.__members__.values() else role,
                          org_code=org_path.strip("/").rsplit("/", 1)[-1], org_path=org_path, team=None)
    issuer = SimpleNamespace(jwt_secret=SecretStr(secret), jwt_issuer="kesu/cases", jwt_audience="kesu-staff",
                             access_token_ttl_s=int(valid_for.total_seconds()), data_dir=None)
    return tokens.issue_access_token(principal, issuer, issued)


def staff_headers(role: str = "admin", **kwargs) -> dict[str, str]:
    """An Authorization header carrying ``staff_token(role, ...)``."""
    return {"Authorization": f"Bearer {staff_token(role, **kwargs)}"}
