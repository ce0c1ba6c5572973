"""OpenAPI generation: the schema class every view uses (readable operation ids, integer
path ids, the ETag/If-Match headers) and the post-processing hooks (the error responses
every operation can give, in the one JSON error shape of ``khuyencong.exceptions``;
query-parameter enums as the named components the bodies use). Endpoints added later
inherit all of it through ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``."""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from .source import source_url

ERROR_SCHEMA = {
    "type": "object",
    "description": "Lỗi / error: 400 field errors · 401 no credentials · 403 visible but not allowed · "
                   "404 not visible · 409 invalid transition or stale version · 412 stale If-Match · "
                   "413 request too large · 429 too many requests (see Retry-After) · "
                   "503 a backing service is down.",
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
    "412": "If-Match không còn khớp (đối tượng đã thay đổi) / If-Match is stale",
    "413": "Yêu cầu quá lớn / request too large",
    "429": "Quá nhiều yêu cầu; xem Retry-After / too many requests, see Retry-After",
    "503": "Dịch vụ tạm thời không sẵn sàng / service unavailable",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}

# The verb of a standard viewset action in an operation id: ``establishments_get``.
STANDARD_VERBS = {"list": "list", "create": "create", "retrieve": "get", "update": "update",
                  "partial_update": "patch", "destroy": "delete"}
METHOD_VERBS = {"get": "get", "post": "create", "put": "update", "patch": "patch", "delete": "delete"}
# A path variable made only of digits is an integer id (``application_pk``, ``attachment_id``).
DIGITS = re.compile(r"^\^?(\\d|\[0-9\])\+\$?$")


class PortalAutoSchema(AutoSchema):
    """The schema of every API operation.

    - operation ids read as ``<resource>_<verb>`` (``applications_list``,
      ``applications_get``, ``establishments_patch``); a custom action names itself with
      ``@extend_schema(operation_id=...)`` or, failing that, gets its path and one verb,
      never the method's name glued after it (no ``..._remove_create``);
    - path variables matched by digits are integers;
    - detail responses document their ``ETag``; writes on an object accept ``If-Match``
      (``khuyencong.api.ConditionalWriteMixin``).
    """

    def get_operation_id(self):
        tokens = [t.replace("-", "_") for t in self._tokenize_path()] or ["root"]
        action = getattr(self.view, "action", None)
        if action in STANDARD_VERBS:
            verb = STANDARD_VERBS[action]
            if action == "retrieve" and self._is_list_view():
                verb = "list"
            return "_".join([*tokens, verb])
        if action is None:  # a plain APIView
            return "_".join([*tokens, "list" if self._is_list_view() else METHOD_VERBS[self.method.lower()]])
        methods = getattr(getattr(self.view, action, None), "mapping", {})
        if len(methods) > 1:
            verb = "list" if self.method == "GET" and self._is_list_view() else METHOD_VERBS[self.method.lower()]
            return "_".join([*tokens, verb])
        return "_".join(tokens)

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            schema = parameter["schema"]
            if schema.get("type") == "string" and DIGITS.match(schema.get("pattern", "")):
                parameter["schema"] = {"type": "integer"}
        return parameters

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        conditional = getattr(self.view, "conditional_requests", False)
        if conditional and self.method in ("PUT", "PATCH", "DELETE") and not self._is_list_view():
            parameters.append(OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, required=False,
                description="ETag đã đọc; khác ETag hiện tại → 412 / the ETag read; a stale one is a 412"))
        return parameters

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        conditional = getattr(self.view, "conditional_requests", False)
        if (conditional and str(status_code).startswith("2") and not self._is_list_view()
                and self.method in ("GET", "PUT", "PATCH")):
            headers = {**(headers or {}), "ETag": {
                "schema": {"type": "string"},
                "description": "Phiên bản của đối tượng, dùng cho If-Match / the object's version for If-Match"}}
        return headers


def _enum_index(components):
    """Named enum components by their set of values: those in the schema, then those of
    ``ENUM_NAME_OVERRIDES`` (added as components when a parameter uses them)."""
    from django.utils.module_loading import import_string
    from drf_spectacular.settings import spectacular_settings

    index = {}
    for name, schema in components.items():
        values = schema.get("enum")
        key = frozenset(v for v in (values or ()) if v not in ("", None))
        if key and name.endswith("Enum") and key not in index:
            index[key] = (name, None)
    for name, path in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        choices = import_string(path) if isinstance(path, str) else path
        values = list(getattr(choices, "values", choices))
        key = frozenset(values)
        if key not in index:
            index[key] = (name, {"type": "string", "enum": sorted(values)})
    return index


def _named(schema, index, components):
    """``schema`` with an inline string enum replaced by its named component."""
    schema.pop("title", None)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema["items"] = _named(schema["items"], index, components)
        return schema
    values = schema.get("enum")
    found = index.get(frozenset(v for v in values if v not in ("", None))) if values else None
    if found is None:
        return schema
    name, definition = found
    if definition is not None:
        components.setdefault(name, definition)
    return {"$ref": f"#/components/schemas/{name}"}


def name_parameter_enums(result, generator, request, public):
    """Post-processing hook (after drf-spectacular's enum hook): a filter or path parameter
    offering a fixed set of values refers to the enum component of the same values, so a
    generated client has one ``FundSourceEnum``, not one per operation named after a
    Vietnamese label."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    index = _enum_index(components)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = _named(parameter["schema"], index, components)
    return result


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
                if any(p.get("name") == "If-Match" for p in operation.get("parameters", [])):
                    codes.append("412")
            for code in codes:
                operation["responses"].setdefault(code, {
                    "description": DESCRIPTIONS[code], "content": {"application/json": {"schema": reference}}})
    return result


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """The API key, sent as ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``
    (the latter is what generated clients send for a bearer scheme)."""

    target_class = "khuyencong.authentication.HashedTokenAuthentication"
    name = ["tokenAuth", "bearerAuth"]

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "Authorization",
             "description": 'Khóa API với tiền tố "Token " / API key prefixed with "Token "'},
            {"type": "http", "scheme": "bearer",
             "description": "Khóa API (tạo bằng create_api_token) / the API key (create_api_token)"},
        ]
