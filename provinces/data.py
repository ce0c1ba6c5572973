"""Reference data kept as configuration: region memberships and the explicit
corrections applied to the pinned ``vietnam-provinces`` package."""

SOURCE_PACKAGE = "vietnam-provinces"
SOURCE_VERSION = "2026.9.0"

# Defect 1: the package's Python API types these three as centrally-run cities and
# names them "Thành phố ...". They are provinces (tỉnh).
PROVINCE_CORRECTIONS = {
    22: {"name": "Tỉnh Quảng Ninh", "kind": "tinh"},
    24: {"name": "Tỉnh Bắc Ninh", "kind": "tinh"},
    75: {"name": "Tỉnh Đồng Nai", "kind": "tinh"},
}

# Defect 2: the conversion table tags old Phường 4 of Tân An (27691, district 794)
# with old province 82 (Tiền Giang). It belongs to old Long An (80); left alone, old
# Tiền Giang would appear to lead to Tây Ninh. The same table tags Xã Tiên Hải of
# Hà Tiên (30781) with old An Giang (89); it belongs to old Kiên Giang (91). We take
# an old commune's province from its district and require every disagreement with
# the package's tag to be listed here.
LEGACY_COMMUNE_PROVINCE_CORRECTIONS = {
    27691: {"package_says": 82, "correct": 80},
    30781: {"package_says": 89, "correct": 91},
}

# Six socio-economic regions (revised master plan; membership partly unverified,
# hence data, editable in the admin).
SOCIO_ECONOMIC_REGIONS = [
    ("trung-du-mien-nui-phia-bac", "Trung du và miền núi phía Bắc", [8, 15, 19, 25, 4, 20, 12, 11, 14]),
    ("dong-bang-song-hong", "Đồng bằng sông Hồng", [1, 31, 22, 24, 33, 37]),
    ("bac-trung-bo", "Bắc Trung Bộ", [38, 40, 42, 44, 46]),
    ("duyen-hai-mien-trung-tay-nguyen", "Duyên hải miền Trung và Tây Nguyên", [48, 51, 52, 66, 56, 68]),
    ("dong-nam-bo", "Đông Nam Bộ", [79, 75, 80]),
    ("dong-bang-song-cuu-long", "Đồng bằng sông Cửu Long", [92, 86, 82, 96, 91]),
]

# The Agency's three khuyến công areas (regional conferences). The split of Thanh
# Hóa – Hà Tĩnh between North and Central is unverified: they are placed in the North.
KHUYEN_CONG_AREAS = [
    ("phia-bac", "Phía Bắc", [8, 15, 19, 25, 4, 20, 12, 11, 14, 1, 31, 22, 24, 33, 37, 38, 40, 42],
     "Thanh Hóa, Nghệ An, Hà Tĩnh xếp vào Phía Bắc: chưa kiểm chứng."),
    ("mien-trung-tay-nguyen", "Miền Trung – Tây Nguyên", [44, 46, 48, 51, 52, 66, 56, 68], ""),
    ("phia-nam", "Phía Nam", [79, 75, 80, 92, 86, 82, 96, 91], ""),
]
