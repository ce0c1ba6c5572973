"""OpenAPI post-processing: the error responses every operation can give, in the one
JSON error shape of ``khuyencong.exceptions`` (clients and the fuzz tests rely on them
being documented)."""

from .source import source_url

ERROR_SCHEMA = {
    "type": "object",
    "description": "Lỗi / error: 400 field errors · 401 no credentials · 403 visible but not allowed · "
                   "404 not visible · 409 invalid transition or stale version · 413 request too large · "
                   "429 too many requests (see Retry-After) · 503 a backing service is down.",
    "properties": {
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["status", "code", "detail"],
}
DESCRIPTIONS = {
    "400": "Dữ liệu không hợp lệ / invalid input",
    "401": "Chưa xác thực / no or bad credentials",
    "403": "Không được phép / not allowed",
    "404": "Không tìm thấy (hoặc ngoài phạm vi) / not found or not visible",
    "405": "Phương thức không được phép / method not allowed",
    "409": "Xung đột trạng thái / conflict",
    "413": "Yêu cầu quá lớn / request too large",
    "429": "Quá nhiều yêu cầu; xem Retry-After / too many requests, see Retry-After",
    "503": "Dịch vụ tạm thời không sẵn sàng / service unavailable",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: document the API's error responses, and the
    licence with the source offer the AGPL asks for."""
    info = result.setdefault("info", {})
    info["license"] = {"name": "AGPL-3.0-or-later", "url": "https://www.gnu.org/licenses/agpl-3.0.html"}
    url = source_url(request)
    info["x-source-code"] = url
    result["externalDocs"] = {"description": "Mã nguồn / source code (AGPL-3.0-or-later)", "url": url}
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400", "401", "403", "404", "429", "503"]
            if method in WRITE_METHODS:
                codes += ["405", "409", "413"]
            for code in codes:
                operation["responses"].setdefault(code, {
                    "description": DESCRIPTIONS[code], "content": {"application/json": {"schema": reference}}})
    return result
