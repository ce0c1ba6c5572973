"""The AGPL's source offer: where users of the portal get its source code.

``KC_SOURCE_URL`` points at the source of the version this server runs (a repository or
a release archive of your own, with your changes). By default it is ``/ma-nguon/``, where
the portal serves a tar.gz of the source tree it is running from, so a deployment offers
its exact source even when nobody configured anything. Linked from every page's footer,
the API root and the OpenAPI schema."""

import io
import os
import tarfile
import threading
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse

# Never in the archive: local environments, databases and uploads, caches, secrets.
EXCLUDED_DIRS = {".git", ".venv", "var", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache",
                 ".mypy_cache", ".hypothesis"}
EXCLUDED_SUFFIXES = (".pyc", ".mo", ".sqlite3", ".egg-info")
EXCLUDED_NAMES = {".env", ".git"}  # .git is a file in a git worktree
ARCHIVE_NAME = "khuyencong-source.tar.gz"

_archive: bytes | None = None
_lock = threading.Lock()


def source_url(request=None) -> str:
    url = settings.KC_SOURCE_URL
    if request is not None and url.startswith("/"):
        return request.build_absolute_uri(url)
    return url


def source_files(root: Path):
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in EXCLUDED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES):
                continue
            yield Path(directory) / name


def build_archive(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in source_files(root):
            archive.add(path, arcname=f"khuyencong/{path.relative_to(root)}", recursive=False)
    return buffer.getvalue()


def source_archive(request):
    """The running source tree as tar.gz (built once per process)."""
    global _archive
    with _lock:
        if _archive is None:
            _archive = build_archive(Path(settings.BASE_DIR))
    response = HttpResponse(_archive, content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{ARCHIVE_NAME}"'
    return response
