"""Demo customers: 50 people and companies in KR, VN, MX, CN, RU and DE.

Companies get tax ids with valid check digits (see taxids.py) so that e-invoice
addons can be demonstrated against them.
"""
from __future__ import annotations


from .services import create_partner
from .taxids import company_tax_id

COUNTRIES = {
    "KR": dict(language="ko", cities=[("서울특별시", "강남구 테헤란로 152", "06236"), ("부산광역시", "해운대구 센텀중앙로 79", "48058")],
               people=["김민준", "이서연", "박지호", "최수아", "정예준", "강하은"],
               companies=["한빛상사 주식회사", "미래전자 주식회사", "푸른바다 유통"], phone="+82 2 555 {:04d}"),
    "VN": dict(language="vi", cities=[("Hà Nội", "12 Phố Huế, Hai Bà Trưng", "100000"),
                                      ("TP. Hồ Chí Minh", "45 Lê Lợi, Quận 1", "700000")],
               people=["Nguyễn Văn An", "Trần Thị Bích", "Lê Minh Khang", "Phạm Thu Hà", "Hoàng Đức Long",
                       "Vũ Ngọc Lan"],
               companies=["Công ty TNHH Sao Mai", "Công ty CP Thương mại Hồng Hà", "Công ty TNHH Phương Nam"],
               phone="+84 24 3826 {:04d}"),
    "MX": dict(language="es", cities=[("Ciudad de México", "Av. Reforma 222, Juárez", "06600"),
                                      ("Guadalajara", "Av. Vallarta 1525, Americana", "44160")],
               people=["María González", "José Hernández", "Guadalupe López", "Juan Martínez", "Sofía Ramírez"],
               companies=["Comercializadora Azteca SA de CV", "Distribuidora del Norte SA de CV"],
               phone="+52 55 5208 {:04d}"),
    "CN": dict(language="zh", cities=[("上海市", "浦东新区世纪大道 100 号", "200120"), ("深圳市", "南山区科技园南路 8 号", "518057")],
               people=["王伟", "李娜", "张敏", "刘洋", "陈静"],
               companies=["上海华信贸易有限公司", "深圳市海天电子有限公司"], phone="+86 21 6888 {:04d}"),
    "RU": dict(language="ru", cities=[("Москва", "ул. Тверская, 7", "125009"), ("Санкт-Петербург", "Невский пр., 28", "191186")],
               people=["Иван Петров", "Анна Смирнова", "Дмитрий Иванов", "Ольга Кузнецова"],
               companies=["ООО «Северный ветер»", "АО «Волга Трейд»"], phone="+7 495 123 {:04d}"),
    "DE": dict(language="en", cities=[("Berlin", "Friedrichstraße 68", "10117"), ("München", "Leopoldstraße 25", "80802")],
               people=["Lukas Müller", "Anna Schmidt", "Felix Weber", "Lena Fischer"],
               companies=["Nordlicht Handels GmbH", "Alpen Versand GmbH", "Rheinland Waren AG"],
               phone="+49 30 2093 {:04d}"),
}
TERMS = [None, None, "immediate", "net15", "net30", "2_10_net30"]


def _gln(rng) -> str:
    body = f"{rng.randint(10 ** 11, 10 ** 12 - 1)}"
    from stdnum import ean   # imported when demo data is made, not at start-up
    return f"0088:{body}{ean.calc_check_digit(body)}"


def load(session, business_id, rng, count: int = 50) -> list:
    """Add ``count`` customers spread over the six countries; returns them."""
    made = []
    entries = [(country, kind, name) for country, spec in COUNTRIES.items()
               for kind, names in (("person", spec["people"]), ("company", spec["companies"])) for name in names]
    rng.shuffle(entries)
    for i in range(count):
        country, kind, name = entries[i % len(entries)]
        spec = COUNTRIES[country]
        if i >= len(entries):
            name = f"{name} {i // len(entries) + 1}"
        city, street, postal = rng.choice(spec["cities"])
        made.append(create_partner(
            session, kind=kind, name=name, country=country, language=spec["language"],
            tax_id=company_tax_id(country, rng) if kind == "company" else None,
            email=f"customer{i + 1}@example.{country.lower()}", phone=spec["phone"].format(rng.randint(0, 9999)),
            street=street, city=city, postal_code=postal, is_customer=True,
            # Business buyers on the Peppol network, addressed by GLN (scheme 0088).
            peppol_id=_gln(rng) if kind == "company" else None,
            payment_term_code=rng.choice(TERMS) if kind == "company" else None))
    return made
