"""Who the clients act as, and the latency figures they collect."""

import math
import threading
from collections import defaultdict
from dataclasses import dataclass

from .config import TAN_NINH_WARD

# --- Personas -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    username: str
    province: int | None  # None: the Agency (sees every province)
    commune: int | None = None  # a commune officer: establishments of this commune only
    writes: bool = False
    # Accounts seed_demo does not make: created with add_member (province code).
    add_member: str | None = None


PERSONAS = [
    Persona("tayninh_canbo", 80, writes=True),
    Persona("hcm_canbo", 79, writes=True),
    Persona("soak_hanoi_canbo", 1, writes=True, add_member="1"),
    Persona("soak_danang_canbo", 48, writes=True, add_member="48"),
    Persona("cuc_chuyenvien", None),
    Persona("tayninh_xa", 80, commune=TAN_NINH_WARD),
]
REGIONS = ["phia-nam", "phia-bac", "mien-trung-tay-nguyen", "dong-nam-bo"]
ESTABLISHMENT_WORDS = ["may tre", "gom", "det", "che bien", "soak", "hop tac xa", "co so", "tay ninh", "nguyen"]
APPLICATION_WORDS = ["de an", "nang cao", "may moc", "soak", "thiet bi", "dao tao", "trinh dien"]
INDUSTRIES = ["Mây tre đan", "Gốm sứ", "Dệt thổ cẩm", "Chế biến nông sản", "Cơ khí nhỏ", "Sơn mài"]
LEGAL_FORMS = ["sme", "cooperative", "cooperative_union", "cooperative_group", "household"]
STATUS_FILTERS = [["submitted"], ["approved", "in_progress"], ["draft", "returned"], ["settled"], []]


# --- Measurements ---------------------------------------------------------------------------------


class Stats:
    """Latencies and outcomes per kind of request, shared by every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)  # kind -> seconds
        self.errors = defaultdict(int)  # kind -> count
        self.statuses = defaultdict(lambda: defaultdict(int))  # kind -> status -> count
        self.samples = {}  # (kind, what) -> (count, first message)
        self.tenancy_rows = 0
        self.tenancy_breaches = 0
        self.probes = 0

    def record(self, kind: str, seconds: float, status, error: str | None = None):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1
            if error:
                self.errors[kind] += 1
                key = (kind, str(status), error[:60])
                count, message = self.samples.get(key, (0, error))
                self.samples[key] = (count + 1, message)

    def error(self, kind: str, message: str):
        """An error found after the request was counted (a failed check on its content)."""
        with self.lock:
            self.errors[kind] += 1
            key = (kind, "check", message[:60])
            count, first = self.samples.get(key, (0, message))
            self.samples[key] = (count + 1, first)

    def rows_checked(self, n: int, breaches: int):
        with self.lock:
            self.tenancy_rows += n
            self.tenancy_breaches += breaches


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]
