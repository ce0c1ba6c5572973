"""What the forms of the applications app share: service errors onto fields, Bootstrap
widgets, the date input (defined once in ``khuyencong.forms``, kept importable from here)."""

from khuyencong.forms import EMPTY_LABEL, BootstrapMixin, DateInput, add_service_errors, posted_version

__all__ = ["EMPTY_LABEL", "BootstrapMixin", "DateInput", "add_service_errors", "posted_version"]
