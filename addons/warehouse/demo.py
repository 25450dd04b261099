"""Demo warehouses, suppliers, opening stock, reorder points and a few purchase orders."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from addons.catalog.models import Variant
from addons.partners.services import create_partner
from addons.partners.taxids import company_tax_id
from core.models import Business

from . import services as wh

WAREHOUSES = [("WH-MAIN", "Kho chính Bình Dương", "main", "Bình Dương"),
              ("WH-HN", "Kho Hà Nội", "secondary", "Hà Nội"),
              ("SHOP-Q1", "Cửa hàng Quận 1", "branch", "TP. Hồ Chí Minh")]
SUPPLIERS = [("Công ty TNHH Thực phẩm Sài Gòn", "VN"), ("Công ty CP Dệt may Hà Nội", "VN"),
             ("Công ty TNHH Gốm Bát Tràng", "VN"), ("㈜한빛무역", "KR"), ("대한식품 주식회사", "KR"),
             ("Shenzhen Bright Electronics Co., Ltd.", "CN"), ("Guangzhou Textile Trading Co., Ltd.", "CN"),
             ("Nordlicht Handels GmbH", "DE"), ("Distribuidora Azteca SA de CV", "MX"), ("ООО «Восток Импорт»", "RU")]
LANG = {"VN": "vi", "KR": "ko", "CN": "zh", "DE": "en", "MX": "es", "RU": "ru"}


def load(session, business_id, rng) -> dict:
    country = session.scalar(select(Business.country).where(Business.id == business_id))
    warehouses = [wh.create_warehouse(session, code=code, name=name, kind=kind, city=city, country=country)
                  for code, name, kind, city in WAREHOUSES]
    suppliers = [create_partner(session, kind="company", name=name, country=c, language=LANG[c],
                                tax_id=company_tax_id(c, rng), is_supplier=True, is_customer=False,
                                email=f"purchasing{i}@supplier.example", payment_term_code="net30")
                 for i, (name, c) in enumerate(SUPPLIERS, start=1)]
    variants = list(session.scalars(select(Variant).order_by(Variant.id)))
    for variant in variants:
        supplier = suppliers[variant.product_id % len(suppliers)]
        cost = Decimal(variant.effective_cost)
        wh.set_supplier_product(session, supplier.id, variant.id, unit_cost=cost, preferred=True,
                                min_qty=Decimal(rng.choice([0, 6, 12, 24])), lead_time_days=rng.randint(2, 21))
        for warehouse in warehouses:
            # The main warehouse opens with everything in stock; sales run some of it out.
            if warehouse.kind == "main":
                qty = rng.choice([3, 8, 15, 40, 120])
            else:
                qty = rng.choice([0, 3, 8, 15, 40]) if warehouse.kind != "branch" else rng.choice([0, 2, 5, 10])
            if qty:
                wh.receive(session, warehouse.id, [(variant.id, Decimal(qty))], "opening stock",
                           unit_costs={variant.id: cost}, reason="demo opening balance")
        if rng.random() < 0.3:
            wh.set_reorder_point(session, warehouses[0].id, variant.id, Decimal(10), Decimal(50))
    orders = []
    for i, supplier in enumerate(suppliers[:5]):
        picked = rng.sample(variants, 3)
        po = wh.create_purchase_order(session, supplier.id, [(v.id, Decimal(rng.choice([10, 20, 50])))
                                                             for v in picked], warehouse_id=warehouses[0].id)
        if i >= 1:
            wh.send_purchase_order(session, po.id)
        if i >= 2:
            line = po.lines[0]
            wh.receive_purchase_order(session, po.id, [(line.variant_id, line.quantity / 2)])
        if i >= 3:
            wh.receive_purchase_order(session, po.id)
        orders.append(po)
    movable = [(r["variant_id"], Decimal(1)) for r in wh.stock_levels(session, warehouses[0].id)
               if r["available"] >= 1][:3]
    if movable:
        done = wh.create_transfer(session, warehouses[0].id, warehouses[2].id, movable, note="demo: restock the branch")
        wh.confirm_transfer(session, done.id)
        wh.create_transfer(session, warehouses[0].id, warehouses[1].id, movable[:1], note="demo: waiting for a van")
    return {"warehouses": warehouses, "suppliers": suppliers, "purchase_orders": orders}
