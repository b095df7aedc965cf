"""Staff reveals of a complainant's personal data: read from intake's vault, recorded in the audit log.

The case holds no personal data (events carry only the pseudonymous complainant_ref and redacted
text), so staff see it masked until someone allowed to reveal it asks, with a reason. Intake
audits the read under the cases service's key; this service audits who asked and why.
"""

from __future__ import annotations

from services.cases import access, audit
from services.cases.schemas import PiiRevealed
from services.cases.security import Principal
from services.cases.settings import CasesSettings
from shared.http import Problem
from shared.pii_reveal import PiiRevealClient, RevealUnavailable


def client_for(settings: CasesSettings) -> PiiRevealClient | None:
    """The intake reveal client the settings describe, or None when reveal is not configured."""
    if not settings.intake_url or settings.intake_api_key is None:
        return None
    return PiiRevealClient(settings.intake_url, settings.intake_api_key.get_secret_value(),
                           timeout_s=settings.intake_timeout_s)


async def reveal(ctx, principal: Principal, case_id: str, *, reason: str, fields: list[str] | None) -> PiiRevealed:
    """The complainant's clear personal data for an allowed caller, audited before it is returned."""
    client = client_for(ctx.settings)
    if client is None:
        raise Problem(503, "PII reveal not configured",
                      "Set KESU_CASES_INTAKE_URL and KESU_CASES_INTAKE_API_KEY (an intake key with scope pii:reveal).")
    # Check scope and ownership first, in a short read: no row lock is held across the call to intake.
    async with ctx.unit_of_work() as uow:
        await access.revealable_case(uow.session, principal, case_id)
    opened = await _ask_intake(client, case_id, actor=f"cases:{principal.username}", reason=reason)
    shown = {name: value for name, value in opened.items() if fields is None or name in fields}
    async with ctx.unit_of_work() as uow:
        now = uow.clock.now()
        # Committed before the data leaves: a reveal the log cannot record is not answered.
        await audit.record(uow.session, actor=principal.username, action="pii.reveal", subject_type="case",
                           subject_id=case_id, reason=reason, details={"fields": sorted(shown)}, at=now)
    return PiiRevealed(case_id=case_id, pii=shown, revealed_at=now)


async def _ask_intake(client: PiiRevealClient, case_id: str, *, actor: str, reason: str) -> dict[str, str]:
    try:
        opened = await client.reveal(case_id, actor=actor, reason=reason)
    except RevealUnavailable as exc:
        problem = Problem(503, "Intake unavailable", f"The PII vault could not be read: {exc}. Nothing was revealed.")
        problem.headers["Retry-After"] = "5"
        raise problem from exc
    if opened is None:
        raise Problem(404, "Not found at intake", "Intake holds no complaint with this id for the configured key; "
                                                  "the key must cover every channel.")
    return opened
