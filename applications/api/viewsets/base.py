"""What the viewsets of the applications app share: the detail-action options. (Service
exceptions become API errors in the one handler, ``khuyencong.exceptions``.)"""

# Sub-resources of one application: the list's filters and pagination do not apply
# (nor appear in the schema).
DETAIL_ACTION = {"filter_backends": [], "pagination_class": None}
