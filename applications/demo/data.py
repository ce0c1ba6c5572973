"""What the demo world holds: each province's establishments, its People's Council caps and
money, the dossiers to take to every state, and the path of actions that reaches each state."""

from decimal import Decimal

ESTABLISHMENTS = {
    80: [
        (
            "Hộ kinh doanh Bánh tráng Trảng Bàng Út Mai",
            "household",
            "Sản xuất bánh tráng phơi sương",
            True,
            False,
            False,
            True,
            "Làng nghề bánh tráng phơi sương Trảng Bàng",
        ),
        (
            "Hợp tác xã Mây tre đan Tân Ninh",
            "cooperative",
            "Đan lát mây tre",
            True,
            False,
            False,
            True,
            "Làng nghề mây tre đan Thanh Điền",
        ),
        ("Công ty TNHH Cơ khí Nông nghiệp Bến Lức", "sme", "Chế tạo máy nông nghiệp", False, False, False, False, ""),
        ("Cơ sở Muối tôm Gò Dầu Bà Hai", "household", "Chế biến muối tôm", True, False, False, False, ""),
        ("Hợp tác xã Nông nghiệp Ninh Điền", "cooperative", "Chế biến nông sản", False, True, True, False, ""),
        ("Công ty TNHH Gạch ngói Long An", "sme", "Sản xuất vật liệu xây dựng", False, False, False, False, ""),
        ("Tổ hợp tác Dệt thổ cẩm Khmer Tân Biên", "cooperative_group", "Dệt thổ cẩm", True, True, True, False, ""),
        ("Công ty CP Chế biến Hạt điều Hòa Thành", "sme", "Chế biến hạt điều", False, False, False, False, ""),
    ],
    79: [
        ("Công ty TNHH Cơ khí Bình Mỹ", "sme", "Gia công cơ khí chính xác", False, False, False, False, ""),
        (
            "Hộ kinh doanh Gốm Lái Thiêu Tư Sáu",
            "household",
            "Gốm sứ mỹ nghệ",
            True,
            False,
            False,
            True,
            "Làng nghề gốm Lái Thiêu",
        ),
        (
            "Hợp tác xã Nước mắm Long Hải",
            "cooperative",
            "Chế biến nước mắm",
            False,
            False,
            False,
            True,
            "Làng nghề nước mắm Long Hải",
        ),
        (
            "Công ty TNHH Sơn mài Tương Bình Hiệp",
            "sme",
            "Sơn mài mỹ nghệ",
            True,
            False,
            False,
            True,
            "Làng nghề sơn mài Tương Bình Hiệp",
        ),
        ("Liên hiệp HTX Nông sản Củ Chi", "cooperative_union", "Chế biến nông sản", False, False, False, False, ""),
        ("Hộ kinh doanh Bánh tráng Phú Hòa Đông", "household", "Sản xuất bánh tráng", True, False, False, False, ""),
    ],
}

# What differs between the demo provinces: their People's Council's caps, the money they are
# given and, for TP HCM, a second local programme funded by moving money from the first.
PROVINCE_PROFILES = {
    80: {"programme_basis": "Nghị quyết 08/2025/NQ-HĐND tỉnh Tây Ninh (theo Chỉ thị 20/CT-BCT)",
         "caps_basis": "Nghị quyết 09/2025/NQ-HĐND ngày 01/7/2025 của HĐND tỉnh Tây Ninh",
         "caps": [("MMTB", Decimal("50"), 300_000_000, False), ("DAO_TAO", None, 100_000_000, False),
                  ("MO_HINH_TD", Decimal("30"), 500_000_000, False)],
         "local_amount": 3_000_000_000, "national_amount": 2_500_000_000},
    79: {"programme_basis": "Nghị quyết 21/2025/NQ-HĐND Thành phố Hồ Chí Minh (theo Chỉ thị 20/CT-BCT)",
         "caps_basis": "Nghị quyết 22/2025/NQ-HĐND ngày 01/7/2025 của HĐND Thành phố Hồ Chí Minh",
         "caps": [("MMTB", Decimal("45"), 280_000_000, True), ("DAO_TAO", None, 150_000_000, False),
                  ("MO_HINH_TD", Decimal("30"), 800_000_000, False), ("SXSH", Decimal("50"), 400_000_000, False),
                  ("CHUYEN_DOI_SO", Decimal("50"), 200_000_000, False)],
         "local_amount": 6_500_000_000, "national_amount": 3_200_000_000, "moved_amount": 1_200_000_000,
         "extra_programme": ("kcdp-79-sptb-2026-2028",
                             "Đề án phát triển sản phẩm công nghiệp nông thôn tiêu biểu TP HCM 2026–2028",
                             "Quyết định 1450/QĐ-UBND Thành phố Hồ Chí Minh")},
}

# (key, fund source, activity type, title, requested, total, target state)
DEMO_APPLICATIONS = [
    ("d1", "local", "MMTB", "Hỗ trợ máy tráng bánh tự động", 150_000_000, 380_000_000, "draft"),
    ("d2", "local", "DAO_TAO", "Đào tạo nghề đan lát mây tre cho 30 lao động nữ", 60_000_000, 90_000_000, "submitted"),
    ("d3", "local", "MMTB", "Ứng dụng máy sấy bơm nhiệt trong chế biến muối tôm", 180_000_000, 420_000_000, "returned"),
    ("d4", "local", "MMTB", "Hỗ trợ dây chuyền đóng gói hạt điều", 250_000_000, 600_000_000, "under_appraisal"),
    ("d5", "national", "MO_HINH_TD", "Mô hình trình diễn sản xuất gạch không nung", 600_000_000, 2_400_000_000,
     "endorsed"),
    ("d6", "national", "MMTB", "Máy ép viên nén mùn cưa tiết kiệm năng lượng", 280_000_000, 700_000_000,
     "under_national_appraisal"),
    ("d7", "local", "MMTB", "Máy chế biến nông sản sau thu hoạch", 200_000_000, 520_000_000, "approved"),
    ("d8", "national", "MO_HINH_TD", "Mô hình chế biến điều xuất khẩu sạch", 700_000_000, 2_500_000_000, "approved"),
    ("d9", "local", "DAO_TAO", "Truyền nghề dệt thổ cẩm cho đồng bào Khmer", 80_000_000, 110_000_000, "rejected"),
    ("d10", "local", "MMTB", "Máy cắt gạch tự động", 120_000_000, 300_000_000, "cancelled"),
    ("d11", "local", "MMTB", "Lò nướng bánh tráng tiết kiệm củi", 90_000_000, 200_000_000, "in_progress"),
    ("d12", "local", "DAO_TAO", "Đào tạo kỹ năng quản lý hợp tác xã", 50_000_000, 70_000_000, "suspended"),
    ("d13", "local", "MMTB", "Máy đánh bóng sản phẩm mây tre", 100_000_000, 240_000_000, "completed"),
    ("d14", "local", "MMTB", "Hệ thống máy xay muối tôm", 110_000_000, 260_000_000, "accepted"),
    ("d15", "local", "DAO_TAO", "Đào tạo thiết kế mẫu mã sản phẩm", 45_000_000, 60_000_000, "settled"),
]

APPROVAL = ["submit", "start_appraisal", "scores", "approve"]
# After approval: a contract starts the work, an advance within the first-advance share,
# a progress report and a payment; completion needs the report file, acceptance its
# minutes and settlement the final payment (the guards refuse plain transitions).
RUNNING = [*APPROVAL, "start_implementation", "advance", "progress_report", "payment"]
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "returned": ["submit", "return"],
    "under_appraisal": ["submit", "start_appraisal", "partial_scores"],
    "endorsed": ["submit", "start_appraisal", "scores", "endorse"],
    "under_national_appraisal": ["submit", "start_appraisal", "scores", "endorse", "start_national_appraisal"],
    "approved": APPROVAL,
    "rejected": ["submit", "start_appraisal", "scores", "reject"],
    "cancelled": ["submit", "cancel"],
    "in_progress": RUNNING,
    "suspended": [*APPROVAL, "start_implementation", "advance", "progress_report", "suspend"],
    "completed": [*RUNNING, "complete"],
    "accepted": [*RUNNING, "complete", "accept"],
    "settled": [*RUNNING, "complete", "accept", "settle"],
}

CRITERIA = [
    {"name": "Tính cấp thiết, phù hợp với chương trình khuyến công", "weight": 30, "max_score": 10},
    {"name": "Tính khả thi, hiệu quả kinh tế – xã hội", "weight": 40, "max_score": 10},
    {"name": "Năng lực của đơn vị thực hiện và cơ sở thụ hưởng", "weight": 20, "max_score": 10},
    {"name": "Tính lan tỏa, nhân rộng", "weight": 10, "max_score": 10},
]


def _representative(i: int) -> str:
    names = ["Nguyễn Thị Mai", "Trần Văn Hùng", "Lê Thị Hồng", "Phạm Văn Đức", "Huỳnh Thị Ánh", "Võ Minh Tâm",
             "Đặng Thị Thu", "Bùi Quốc Khánh"]
    return names[i % len(names)]
