"""SLA tracker's HTTP routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from shared.http import Problem
from shared.service import Service
from sla_tracker import handlers
from sla_tracker.schemas import ClockRead, ClocksRead

router = APIRouter(prefix="/v1/sla", tags=["sla"])


def _service(request: Request) -> Service:
    return request.app.state.sla_tracker


SlaService = Annotated[Service, Depends(_service)]


@router.get("/clocks/{complaint_id}", response_model=ClocksRead)
async def get_clocks(complaint_id: str, service: SlaService) -> ClocksRead:
    """Every deadline clock of a complaint."""
    async with service.unit_of_work() as uow:
        rows = await handlers.clocks_for(uow, complaint_id)
    if not rows:
        raise Problem(404, "Not found", f"No SLA clocks for complaint {complaint_id!r}.")
    return ClocksRead(
        complaint_id=complaint_id,
        clocks=[ClockRead(clock_id=r.id, **{k: getattr(r, k) for k in ClockRead.model_fields if k != "clock_id"}) for r in rows],
    )
