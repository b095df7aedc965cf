"""OpenAPI examples of the intake API, in Chinese and English (test numbers, not real people)."""

from __future__ import annotations

REQUEST_EXAMPLES: dict[str, dict] = {
    "zh_mobile_app": {
        "summary": "手机银行：信用卡年费争议（中文）",
        "description": "个人客户通过手机银行提交投诉，附身份证号与手机号（加密保存，不会出现在事件中）。",
        "value": {
            "channel": "mobile_app",
            "external_ref": "APP-20261123-0001",
            "received_at": "2026-11-23T09:30:00+08:00",
            "complainant": {
                "name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X",
                "phone": "13812345678", "customer_id": "C000123456", "vulnerability": ["elderly"],
            },
            "product_hint": "credit_card",
            "subject": "信用卡年费争议",
            "content": "我的信用卡被收取了年费，但办卡时承诺终身免年费，要求退还。",
            "amount_disputed": {"value": "680.00", "currency": "CNY"},
            "region_code": "110105",
        },
    },
    "en_web": {
        "summary": "Web form: card fee dispute (English)",
        "description": "A customer writes in English through the web form; the language is detected if omitted.",
        "value": {
            "channel": "web",
            "external_ref": "WEB-88412",
            "complainant": {"name": "Alex Chen", "email": "alex.chen@example.com", "phone": "+85291234567"},
            "content": "I was charged an annual fee on my credit card that I was told was waived for life.",
            "language": "en",
        },
    },
    "zh_business_customer": {
        "summary": "柜面：企业客户代理人投诉（中文）",
        "description": "企业以统一社会信用代码投诉，由财务人员代为提交。",
        "value": {
            "channel": "branch_counter",
            "complainant": {"name": "深圳某科技有限公司", "id_type": "unified_social_credit_code",
                            "id_number": "914403001922038216"},
            "agent": {"name": "李四", "phone": "13900001111", "organization": "财务部", "relationship": "员工 / employee"},
            "branch_code": "SZ-0101",
            "product_hint": "corporate_account",
            "content": "对公账户被无故冻结三天，影响工资发放，请说明原因。",
        },
    },
    "zh_regulator_transfer": {
        "summary": "监管转办：国家金融监督管理总局转来（中文）",
        "value": {
            "channel": "regulator_transfer",
            "complainant": {"name": "王五", "phone": "13700002222"},
            "regulator_transfer": {"authority": "NFRA", "reference": "JR-2026-000123",
                                   "transferred_at": "2026-11-22T16:00:00+08:00",
                                   "deadline": "2026-12-07T23:59:59+08:00"},
            "content": "理财产品到期未按约定兑付，多次联系网点无果。",
            "product_hint": "wealth_management",
        },
    },
}

PROBLEM_EXAMPLES: dict[int, dict] = {
    400: {"type": "https://kesu.dev/problems/400", "title": "Malformed JSON", "status": 400,
          "detail": "The request body is not valid JSON.", "errors": [{"field": "body", "message": "Invalid JSON"}]},
    401: {"type": "https://kesu.dev/problems/401", "title": "Unauthorized", "status": 401,
          "detail": "Send the channel API key as 'Authorization: Bearer <key>'."},
    403: {"type": "https://kesu.dev/problems/403", "title": "Channel not allowed", "status": 403,
          "detail": "This key may submit for ['mobile_app'], not 'web'.",
          "errors": [{"field": "channel", "message": "not allowed for this API key"}]},
    409: {"type": "https://kesu.dev/problems/409", "title": "Idempotency-Key reused", "status": 409,
          "detail": "This Idempotency-Key was used with a different body.",
          "errors": [{"field": "Idempotency-Key", "message": "already used for a different request"}]},
    413: {"type": "https://kesu.dev/problems/413", "title": "Body too large", "status": 413,
          "detail": "The body has more than 524288 bytes.", "errors": [{"field": "body", "message": "too large"}]},
    415: {"type": "https://kesu.dev/problems/415", "title": "Unsupported media type", "status": 415,
          "detail": "Send 'Content-Type: application/json'.", "errors": [{"field": "Content-Type", "message": "must be application/json"}]},
    422: {"type": "https://kesu.dev/problems/422", "title": "Validation failed", "status": 422,
          "detail": "1 invalid field(s).",
          "errors": [{"field": "complainant.id_number", "type": "invalid_resident_id",
                      "message": "the check digit does not match (GB 11643); check for a mistyped digit"}]},
    429: {"type": "https://kesu.dev/problems/429", "title": "Too many requests", "status": 429,
          "detail": "This key's limit is 50 requests per second; retry after the Retry-After seconds."},
}


def problem_responses(*statuses: int) -> dict[int, dict]:
    """OpenAPI ``responses`` entries for problem+json errors, with an example each."""
    return {
        status: {"description": PROBLEM_EXAMPLES[status]["title"],
                 "content": {"application/problem+json": {"example": PROBLEM_EXAMPLES[status]}}}
        for status in statuses
    }
