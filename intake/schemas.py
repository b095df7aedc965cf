"""HTTP request and response models of the intake API (not the event models)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from intake import validation
from intake.examples import REQUEST_EXAMPLES
from shared.text import NulFree


class Channel(StrEnum):
    """Where a complaint came in."""

    mobile_app = "mobile_app"
    call_center = "call_center"
    branch_counter = "branch_counter"
    letter = "letter"
    web = "web"
    wechat = "wechat"
    email = "email"
    regulator_transfer = "regulator_transfer"
    hotline_12345 = "hotline_12345"
    social_media = "social_media"


IdType = Literal["resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_resident",
                 "unified_social_credit_code", "other"]
Vulnerability = Literal["elderly", "disabled", "seriously_ill", "minor", "low_literacy", "other"]
Authority = Literal["NFRA", "PBOC", "CSRC", "local_financial_bureau", "petition_office", "CFPB", "FCA", "other"]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


def _checked(check, value: str, kind: str, *args, **kwargs) -> str:
    try:
        return check(value, *args, **kwargs)
    except validation.InvalidIdentifier as exc:
        raise PydanticCustomError(f"invalid_{kind}", str(exc)) from None


def _today(info: ValidationInfo) -> date:
    return (info.context or {}).get("today") or date.today()


class Strict(NulFree):
    """Unknown fields are errors: a typo in a field name must not silently drop data; NUL is refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ComplainantIn(Strict):
    """Who complains: a person or a business customer. Stored encrypted; never published."""

    name: str | None = Field(None, min_length=1, max_length=100, examples=["张三"])
    id_type: IdType | None = None
    id_number: str | None = Field(None, min_length=1, max_length=64, examples=["11010519491231002X"])
    phone: str | None = Field(None, max_length=32, examples=["13812345678"])
    email: str | None = Field(None, max_length=254, examples=["zhang.san@example.com"])
    address: str | None = Field(None, min_length=1, max_length=500)
    customer_id: str | None = Field(None, min_length=1, max_length=64)
    vulnerability: list[Vulnerability] = Field(default_factory=list, max_length=6)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return value and _checked(validation.phone, value, "phone")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return value and _checked(validation.email, value, "email")

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "id_type" not in info.data:
            return value  # an invalid id_type is reported on its own field
        id_type = info.data["id_type"]
        if id_type is None:
            raise PydanticCustomError("missing_id_type", "give id_type (e.g. resident_id) with id_number")
        return _checked(lambda number: validation.id_number(id_type, number, today=_today(info)), value, id_type)


class AgentIn(Strict):
    """Someone filing on the complainant's behalf (a relative, a lawyer, a company)."""

    name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=32)
    organization: str | None = Field(None, max_length=200)
    relationship: str | None = Field(None, max_length=100, examples=["子女 / child"])

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return value and _checked(validation.phone, value, "phone")


class AmountIn(Strict):
    """A disputed amount: a decimal string (never a JSON number, which may lose cents) and ISO 4217."""

    value: str = Field(pattern=r"^\d{1,15}(\.\d{1,4})?$", examples=["1280.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])


class RegulatorTransferIn(Strict):
    """Where a transferred complaint came from and the deadline the regulator set."""

    authority: Authority
    reference: Text200 | None = None
    transferred_at: AwareDatetime | None = None
    deadline: AwareDatetime | None = None


class AttachmentIn(Strict):
    """Metadata of a file the channel keeps; intake stores no file content."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", examples=["image/jpeg"])
    size: int = Field(ge=0, le=2**40)
    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    uri: str | None = Field(None, max_length=2000)


class ComplaintCreate(Strict):
    """A complaint as a channel system submits it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra={"examples": [e["value"] for e in REQUEST_EXAMPLES.values()]})

    channel: Channel
    external_ref: str | None = Field(None, max_length=200, description="The channel's own id for this complaint.")
    received_at: AwareDatetime | None = Field(
        None, description="When the institution received it (ISO 8601 with offset); default now; the SLA clock starts here.")
    complainant: ComplainantIn | None = None
    agent: AgentIn | None = None
    group_size: int = Field(1, ge=1, le=100_000, description="Complainants acting together.")
    branch_code: str | None = Field(None, max_length=64)
    region_code: str | None = Field(None, description="GB/T 2260, six digits.", examples=["310115"])
    product_hint: str | None = Field(None, max_length=200, examples=["credit_card"])
    subject: str | None = Field(None, max_length=500)
    content: str = Field(max_length=20_000, description="1-20,000 characters after trimming.")
    language: Literal["zh", "en"] | None = Field(None, description="Detected when absent.")
    amount_disputed: AmountIn | None = None
    regulator_transfer: RegulatorTransferIn | None = Field(None, validate_default=True)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)

    @field_validator("content")
    @classmethod
    def content_not_blank(cls, value: str) -> str:
        """Content is required and counted after trimming."""
        if not value:
            raise PydanticCustomError("empty_content", "content must not be empty (1-20,000 characters)")
        return value

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return value and _checked(validation.region_code, value, "region_code")

    @field_validator("regulator_transfer")
    @classmethod
    def _transfer_details(cls, value: RegulatorTransferIn | None, info: ValidationInfo) -> RegulatorTransferIn | None:
        if value is None and info.data.get("channel") == Channel.regulator_transfer:
            raise PydanticCustomError(
                "missing_regulator_transfer", "regulator_transfer (authority, reference, ...) is required for this channel")
        return value


class ComplaintAccepted(BaseModel):
    """The answer to an accepted complaint."""

    complaint_id: str
    reference: str = Field(examples=["KS-20261123-000042"])
    status: str
    received_at: datetime
    complainant_ref: str | None = None
    duplicate_of: str | None = None


class BatchCreate(Strict):
    """Up to 1,000 complaints; each is validated and accepted on its own."""

    items: list[dict] = Field(min_length=1, max_length=1000)


class BatchItemResult(BaseModel):
    """One item's outcome: ``status`` 201 with the complaint, or an error status with its errors."""

    index: int
    status: int
    complaint: ComplaintAccepted | None = None
    errors: list[dict] = Field(default_factory=list)


class BatchResult(BaseModel):
    """Per-item results in request order."""

    accepted: int
    rejected: int
    results: list[BatchItemResult]


class ClassificationSummary(BaseModel):
    """The classifier's main codes."""

    business_line: str
    cause: str
    severity: str
    complexity: str
    flags: list[str]
    needs_review: bool


class SlaSummary(BaseModel):
    """The decision deadline."""

    due_at: datetime
    due_date: date
    state: str


class ComplaintRead(BaseModel):
    """A complaint as its channel may see it: identifiers masked, no raw personal data."""

    complaint_id: str
    reference: str
    channel: Channel
    external_ref: str | None
    status: str
    received_at: datetime
    language: str
    complainant_ref: str | None = None
    complainant: dict[str, str] | None = Field(None, description="Masked, e.g. phone 138****5678.")
    duplicate_of: str | None = None
    classification: ClassificationSummary | None
    sla: SlaSummary | None


class ComplaintList(BaseModel):
    """A channel's own complaints matching a query."""

    items: list[ComplaintRead]


class RevealRequest(Strict):
    """Why a staff member needs the clear personal data (recorded in the audit log)."""

    actor: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=5, max_length=500)
