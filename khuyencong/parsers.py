"""The API's JSON parser: DRF's, refusing with a 400 what would otherwise end in a 500
further in — JSON nested deeper than any client needs (the decoder's recursion limit)
and text with NUL characters (which PostgreSQL cannot store)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

MAX_DEPTH = 32


def _depth_and_nul(value, depth=0):
    """Raise ParseError when ``value`` nests deeper than MAX_DEPTH or holds a NUL."""
    if depth > MAX_DEPTH:
        raise ParseError(_("Dữ liệu JSON lồng quá sâu (tối đa %(n)s cấp). / JSON nested too deeply.")
                         % {"n": MAX_DEPTH})
    if isinstance(value, str):
        if "\x00" in value:
            raise ParseError(_("Văn bản không được chứa ký tự NUL (\\u0000). / Text must not contain NUL."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _depth_and_nul(key, depth + 1)
            _depth_and_nul(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _depth_and_nul(item, depth + 1)


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("Dữ liệu JSON lồng quá sâu (tối đa %(n)s cấp). / JSON nested too deeply.")
                             % {"n": MAX_DEPTH}) from None
        _depth_and_nul(data)
        return data


# The parsers of an upload endpoint (a file and a few fields): multipart only.
UPLOAD_PARSERS = [MultiPartParser]
