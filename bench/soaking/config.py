"""Constants shared by the parts of the soak."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "KhuyenCong@2026"  # seed_demo's shared demo password (README, Demo accounts)
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kc_soak"
APP_ROLE = "kc_app"  # khuyencong.rls.APP_ROLE: the role the policies restrict
TAN_NINH_WARD = 25459  # tayninh_xa's commune (applications.demo.DEMO_PROVINCES)
# gunicorn closes an idle keep-alive connection after 2 s (its default): reusing one that old
# races with that close, so a client opens a fresh connection after this much idleness.
KEEPALIVE_REUSE_SECONDS = 1.0
