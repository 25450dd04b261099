"""Demo catalog: 60 products named in Vietnamese, Korean and English, some with variants."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.models import Business
from core.money import minor_units

from . import services as s

# (name, ko translation, category path, brand, base price in USD cents-equivalent units, attributes)
ITEMS = [
    ("Cà phê sữa đá lon", "아이스 연유 커피", "Đồ uống/Cà phê", "Highlands", 150, None),
    ("Trà xanh Thái Nguyên", "타이응우옌 녹차", "Đồ uống/Trà", "Phúc Long", 400, None),
    ("Nước mắm Phú Quốc", "푸꾸옥 피시소스", "Thực phẩm/Gia vị", "Knorr", 350, None),
    ("Bánh pía sầu riêng", "두리안 월병", "Thực phẩm/Bánh kẹo", "Tân Huê Viên", 500, None),
    ("Áo dài lụa", "실크 아오자이", "Thời trang/Áo dài", "Thái Tuấn", 6000,
     {"màu": ["Đỏ", "Trắng", "Xanh"], "cỡ": ["S", "M", "L"]}),
    ("Nón lá Huế", "후에 논라 모자", "Thời trang/Phụ kiện", None, 300, None),
    ("Gạo ST25", "ST25 쌀", "Thực phẩm/Gạo", "Ông Cua", 900, {"khối lượng": ["2kg", "5kg"]}),
    ("Dép tổ ong", "벌집 샌들", "Thời trang/Giày dép", "Bitis", 250, {"cỡ": ["38", "39", "40", "41", "42"]}),
    ("Hạt điều rang muối", "소금 캐슈넛", "Thực phẩm/Hạt", "Lafooco", 800, None),
    ("Bánh tráng trộn", "반짱쫀", "Thực phẩm/Bánh kẹo", None, 120, None),
    ("Tinh dầu sả chanh", "레몬그라스 오일", "Gia dụng/Tinh dầu", "Mộc An", 450, None),
    ("Chén sứ Bát Tràng", "밧짱 도자기 그릇", "Gia dụng/Gốm sứ", "Bát Tràng", 350, {"màu": ["Lam", "Trắng"]}),
    ("Mì Hảo Hảo thùng 30 gói", "하오하오 라면 30개", "Thực phẩm/Mì", "Acecook", 1100, None),
    ("Sữa đặc Ông Thọ", "옹토 연유", "Thực phẩm/Sữa", "Vinamilk", 130, None),
    ("Kem chống nắng", "선크림", "Mỹ phẩm/Chăm sóc da", "Cocoon", 1200, None),
    ("Túi cói đan tay", "수제 라탄 가방", "Thời trang/Túi", None, 1500, {"cỡ": ["Nhỏ", "Lớn"]}),
    ("Bánh phồng tôm", "새우칩", "Thực phẩm/Bánh kẹo", "Sa Giang", 200, None),
    ("Muối tôm Tây Ninh", "떠이닌 새우소금", "Thực phẩm/Gia vị", None, 180, None),
    ("Cà phê phin nhôm", "알루미늄 커피 핀", "Gia dụng/Dụng cụ", None, 220, None),
    ("Nhang trầm", "침향", "Gia dụng/Tinh dầu", None, 600, None),
    ("김치 1kg", "김치 1kg", "식품/반찬", "종가", 1000, None),
    ("고추장", "고추장", "식품/양념", "해찬들", 700, {"용량": ["500g", "1kg"]}),
    ("신라면 5개입", "신라면 5개입", "식품/라면", "농심", 450, None),
    ("한방 샴푸", "한방 샴푸", "뷰티/헤어", "려", 1300, None),
    ("홍삼정", "홍삼정", "건강/홍삼", "정관장", 9000, None),
    ("맥심 모카골드 100T", "맥심 모카골드", "식품/커피", "동서", 1600, None),
    ("초코파이 12개입", "초코파이", "식품/과자", "오리온", 500, None),
    ("한복 저고리", "한복 저고리", "패션/한복", None, 8000, {"색상": ["분홍", "하늘"], "사이즈": ["M", "L"]}),
    ("마스크팩 10매", "마스크팩", "뷰티/스킨케어", "메디힐", 1000, None),
    ("참기름", "참기름", "식품/양념", "오뚜기", 650, None),
    ("돌솥", "돌솥", "주방/조리도구", None, 2500, {"크기": ["소", "대"]}),
    ("유자차", "유자차", "식품/차", "담터", 900, None),
    ("김 선물세트", "김 선물세트", "식품/김", "양반", 2000, None),
    ("쌀과자", "쌀과자", "식품/과자", "크라운", 300, None),
    ("보리차", "보리차", "식품/차", "동서", 400, None),
    ("Bamboo toothbrush", "대나무 칫솔", "Home/Bathroom", "EcoLife", 300, {"colour": ["Natural", "Charcoal"]}),
    ("Organic cotton T-shirt", "유기농 면 티셔츠", "Clothing/Tops", "Coolmate", 1500,
     {"colour": ["Black", "White", "Navy"], "size": ["S", "M", "L", "XL"]}),
    ("Stainless steel bottle", "스테인리스 물병", "Home/Kitchen", "Lock&Lock", 1800, {"size": ["500ml", "750ml"]}),
    ("Wireless earbuds", "무선 이어폰", "Electronics/Audio", "Soundpeats", 3500, {"colour": ["Black", "White"]}),
    ("USB-C charger 20W", "USB-C 충전기 20W", "Electronics/Accessories", "Anker", 1500, None),
    ("Yoga mat", "요가 매트", "Sports/Fitness", None, 2500, {"colour": ["Purple", "Grey"]}),
    ("Phone case", "휴대폰 케이스", "Electronics/Accessories", None, 800,
     {"model": ["iPhone 15", "Galaxy S24"], "colour": ["Clear", "Black"]}),
    ("Ceramic mug", "세라믹 머그", "Home/Kitchen", None, 700, None),
    ("Scented candle", "향초", "Home/Decor", None, 1100, {"scent": ["Lavender", "Vanilla", "Sandalwood"]}),
    ("Linen tote bag", "린넨 토트백", "Clothing/Bags", None, 1200, None),
    ("Running socks 3-pack", "러닝 양말 3켤레", "Sports/Apparel", "Nike", 1400, {"size": ["M", "L"]}),
    ("Notebook A5 dotted", "A5 도트 노트", "Stationery/Paper", "Muji", 500, None),
    ("Gel pen set", "젤펜 세트", "Stationery/Pens", "Pilot", 600, None),
    ("LED desk lamp", "LED 스탠드", "Home/Lighting", "Xiaomi", 3000, None),
    ("Bluetooth speaker", "블루투스 스피커", "Electronics/Audio", "JBL", 4500, None),
    ("Hand cream", "핸드크림", "Beauty/Body", "L'Occitane", 1500, None),
    ("Sunglasses", "선글라스", "Clothing/Accessories", None, 2000, {"frame": ["Tortoise", "Black", "Gold"]}),
    ("Baseball cap", "야구모자", "Clothing/Accessories", "MLB", 2200, {"colour": ["Black", "Beige"]}),
    ("Cotton face towel", "면 타월", "Home/Bathroom", None, 400, None),
    ("Dark chocolate 70%", "다크 초콜릿 70%", "Food/Snacks", "Marou", 600, None),
    ("Green tea matcha powder", "말차 파우더", "Food/Tea", None, 1400, None),
    ("Reusable straw set", "다회용 빨대 세트", "Home/Kitchen", None, 350, None),
    ("Travel pillow", "여행용 베개", "Travel/Accessories", None, 1600, None),
    ("Power bank 10000mAh", "보조배터리 10000mAh", "Electronics/Accessories", "Anker", 2500, None),
    ("Kids raincoat", "아동 우비", "Clothing/Kids", None, 1300, {"size": ["3-4Y", "5-6Y", "7-8Y"]}),
]
# Price multipliers from the USD-like units above to the business's currency.
CURRENCY_FACTOR = {"VND": 250, "KRW": 13, "MXN": Decimal("0.17"), "USD": Decimal("0.01"), "EUR": Decimal("0.0093"),
                   "CNY": Decimal("0.072"), "RUB": Decimal("0.92")}


def load(session, business_id, rng) -> list:
    """Create the 60 demo products (tax classes come from the catalog's on_enable)."""
    currency = session.scalar(select(Business.currency).where(Business.id == business_id))
    country = session.scalar(select(Business.country).where(Business.id == business_id))
    s.ensure_default_tax_classes(session, country)
    tax_codes = [code for code, _, rate in s.DEFAULT_TAX_CLASSES.get(country, s.FALLBACK_TAX_CLASSES) if rate]
    factor = Decimal(str(CURRENCY_FACTOR.get(currency, Decimal("0.01"))))
    step = Decimal(1).scaleb(-minor_units(currency)) if minor_units(currency) else Decimal(1000 if currency == "VND"
                                                                                            else 100)
    made = []
    for i, (name, ko, path, brand, units, attributes) in enumerate(ITEMS, start=1):
        price = max((Decimal(units) * factor / step).quantize(Decimal(1)) * step, step)
        cost = (price * Decimal(rng.randint(45, 75)) / 100).quantize(Decimal("0.01"))
        category = s.category_by_path(session, path, create=True)
        made.append(s.create_product(
            session, sku=f"P{i:04d}", name=name, translations={"ko": ko} if ko != name else {},
            sale_price=price, cost_price=cost, tax_class_code=rng.choice(tax_codes) if tax_codes else None,
            category_id=category.id, brand_id=s.brand_by_name(session, brand, create=True).id if brand else None,
            barcode=f"893{rng.randint(10 ** 9, 10 ** 10 - 1)}", weight_g=rng.randint(50, 2500),
            length_mm=rng.randint(50, 400), width_mm=rng.randint(50, 300), height_mm=rng.randint(10, 200),
            attributes=attributes))
    for channel, label in (("shopee", "Shopee"), ("web", "Web shop")):
        if not session.scalar(select(s.PriceList.id).where(s.PriceList.channel == channel)):
            s.create_price_list(session, f"{label} prices", channel)
    for product in rng.sample(made, 15):
        for variant in product.variants[:2]:
            discounted = (Decimal(variant.effective_price) * Decimal("0.95") / step).quantize(Decimal(1)) * step
            s.set_list_price(session, "shopee", variant.id, discounted)
    return made
