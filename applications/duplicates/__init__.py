"""Duplicate detection: establishments that are probably the same (tax code, head office
and branch codes, a similar name in the same or a related commune), scored with the
reasons; the support they received in the window whatever its activity type; and pairs
an officer marked "not the same". ``names`` normalises names, ``finder`` finds, ``services``
records the officers' decisions."""
