"""Reference tables for the seeded data: HCMC districts and wards, Vietnamese names, places."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class District:
    """A district of Ho Chi Minh City under its national administrative unit code."""

    code: str
    name: str
    population_k: int  # 2019 census, thousands: weights where the seeded people live
    wards: tuple[str, ...]


def _numbered(count: int) -> tuple[str, ...]:
    return tuple(f"Phường {n}" for n in range(1, count + 1))


def _named(prefix: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{prefix} {name}" for name in names)


DISTRICTS: tuple[District, ...] = (
    District("760", "Quận 1", 142, _named(
        "Phường", "Bến Nghé", "Bến Thành", "Cầu Kho", "Cầu Ông Lãnh", "Cô Giang", "Đa Kao",
        "Nguyễn Cư Trinh", "Nguyễn Thái Bình", "Phạm Ngũ Lão", "Tân Định")),
    District("761", "Quận 12", 620, _named(
        "Phường", "Thạnh Xuân", "Thạnh Lộc", "Hiệp Thành", "Thới An", "Tân Chánh Hiệp",
        "An Phú Đông", "Tân Thới Hiệp", "Trung Mỹ Tây", "Tân Hưng Thuận", "Đông Hưng Thuận",
        "Tân Thới Nhất")),
    District("764", "Quận Gò Vấp", 676, _numbered(17)),
    District("765", "Quận Bình Thạnh", 499, _numbered(28)),
    District("766", "Quận Tân Bình", 474, _numbered(15)),
    District("767", "Quận Tân Phú", 485, _named(
        "Phường", "Tân Sơn Nhì", "Tây Thạnh", "Sơn Kỳ", "Tân Quý", "Tân Thành", "Phú Thọ Hòa",
        "Phú Thạnh", "Phú Trung", "Hòa Thạnh", "Hiệp Tân", "Tân Thới Hòa")),
    District("768", "Quận Phú Nhuận", 163, _numbered(17)),
    District("769", "Thành phố Thủ Đức", 1013, _named(
        "Phường", "Linh Trung", "Linh Chiểu", "Hiệp Bình Chánh", "Thảo Điền", "An Phú",
        "Bình Thọ", "Trường Thọ", "Phước Long A", "Tăng Nhơn Phú A", "Long Thạnh Mỹ")),
    District("770", "Quận 3", 190, _named("Phường", "Võ Thị Sáu", *map(str, range(1, 15)))),
    District("771", "Quận 10", 234, _numbered(15)),
    District("772", "Quận 11", 209, _numbered(16)),
    District("773", "Quận 4", 175, _numbered(18)),
    District("774", "Quận 5", 159, _numbered(15)),
    District("775", "Quận 6", 233, _numbered(14)),
    District("776", "Quận 8", 424, _numbered(16)),
    District("777", "Quận Bình Tân", 784, _named(
        "Phường", "Bình Hưng Hòa", "Bình Hưng Hòa A", "Bình Hưng Hòa B", "Bình Trị Đông",
        "Bình Trị Đông A", "Bình Trị Đông B", "Tân Tạo", "Tân Tạo A", "An Lạc", "An Lạc A")),
    District("778", "Quận 7", 360, _named(
        "Phường", "Tân Phong", "Tân Phú", "Tân Quy", "Tân Thuận Đông", "Tân Thuận Tây",
        "Tân Kiểng", "Tân Hưng", "Bình Thuận", "Phú Mỹ", "Phú Thuận")),
    District("783", "Huyện Củ Chi", 462, (
        "Thị trấn Củ Chi", *_named("Xã", "Phước Vĩnh An", "Tân An Hội", "Trung An",
                                   "Phú Hòa Đông", "An Nhơn Tây", "Tân Thạnh Đông", "Phước Hiệp"))),
    District("784", "Huyện Hóc Môn", 542, (
        "Thị trấn Hóc Môn", *_named("Xã", "Bà Điểm", "Đông Thạnh", "Tân Hiệp", "Tân Xuân",
                                    "Thới Tam Thôn", "Xuân Thới Sơn", "Trung Chánh"))),
    District("785", "Huyện Bình Chánh", 705, (
        "Thị trấn Tân Túc", *_named("Xã", "Vĩnh Lộc A", "Vĩnh Lộc B", "Bình Hưng", "Phong Phú",
                                    "Tân Kiên", "Lê Minh Xuân", "Đa Phước", "Quy Đức"))),
    District("786", "Huyện Nhà Bè", 206, (
        "Thị trấn Nhà Bè", *_named("Xã", "Phước Kiển", "Phước Lộc", "Nhơn Đức", "Phú Xuân",
                                   "Long Thới", "Hiệp Phước"))),
    District("787", "Huyện Cần Giờ", 71, (
        "Thị trấn Cần Thạnh", *_named("Xã", "Bình Khánh", "An Thới Đông", "Long Hòa",
                                      "Lý Nhơn", "Tam Thôn Hiệp", "Thạnh An"))),
)

DISTRICTS_BY_CODE: dict[str, District] = {d.code: d for d in DISTRICTS}

# Family names with their approximate share of the population (percent).
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.4), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Huỳnh", 5.1), ("Hoàng", 2.0),
    ("Phan", 4.5), ("Võ", 3.9), ("Vũ", 1.5), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4),
    ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Trương", 1.0), ("Đinh", 0.6),
    ("Lâm", 0.5), ("Mai", 0.4), ("Tô", 0.3), ("Châu", 0.3), ("Quách", 0.2), ("Thái", 0.3),
)

MIDDLE_NAMES = {
    "male": ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Hoàng", "Công", "Gia", "Tuấn", "Anh"),
    "female": ("Thị", "Ngọc", "Thu", "Thanh", "Bảo", "Kim", "Mỹ", "Phương", "Thùy", "Hồng"),
}

GIVEN_NAMES = {
    "male": (
        "An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hùng", "Huy",
        "Khang", "Khoa", "Kiên", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong",
        "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Toàn", "Trí", "Trung",
        "Tuấn", "Việt", "Vinh", "Vũ",
    ),
    "female": (
        "An", "Anh", "Châu", "Chi", "Diễm", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền",
        "Hoa", "Hương", "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Ngọc", "Nhung", "Oanh",
        "Phương", "Quỳnh", "Tâm", "Thảo", "Thu", "Trang", "Trinh", "Tuyết", "Vân", "Vy", "Yến",
    ),
}

STREETS = (
    "Nguyễn Văn Linh", "Huỳnh Tấn Phát", "Nguyễn Thị Thập", "Lê Văn Lương", "Cách Mạng Tháng Tám",
    "Lê Lợi", "Điện Biên Phủ", "Phan Văn Trị", "Quang Trung", "Lê Văn Sỹ", "Hoàng Văn Thụ",
    "Lũy Bán Bích", "Kinh Dương Vương", "Tỉnh Lộ 8", "Rừng Sác", "Nguyễn Ảnh Thủ",
    "Xô Viết Nghệ Tĩnh", "Võ Văn Ngân", "Phạm Văn Đồng", "Trần Hưng Đạo", "Nguyễn Trãi",
    "Hậu Giang", "Lạc Long Quân", "Âu Cơ", "Tô Ký", "Lê Trọng Tấn", "Nguyễn Hữu Thọ",
)

# Province prefixes of CCCD numbers: most residents were registered in HCMC (079).
ID_PROVINCES: tuple[tuple[str, float], ...] = (
    ("079", 80.0), ("001", 3.0), ("038", 3.0), ("040", 2.0), ("052", 2.0), ("054", 2.0),
    ("083", 2.0), ("086", 2.0), ("087", 2.0), ("094", 2.0),
)

LABS_PCR = (
    "Trung tâm Kiểm soát Bệnh tật TP.HCM (HCDC)",
    "Viện Pasteur TP.HCM",
    "Bệnh viện Bệnh Nhiệt đới",
    "Bệnh viện Chợ Rẫy",
)

CITY = "Thành phố Hồ Chí Minh"


def health_station(district: District, ward: str) -> str:
    """Name of the ward health station, where doses are given and rapid tests taken."""
    return f"Trạm Y tế {ward}, {district.name}"
