"""The exact-money revisions convert a database written by the NUMERIC schema without loss
(SQLite: REAL values become scaled integers; PostgreSQL: NUMERIC stays, sales quantities widen),
and keep the e-invoice immutability triggers and the CHECK constraints working."""
from __future__ import annotations

import shutil
import warnings
from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from core.errors import UserError
from core.money_migration import _rebuild, exact_value
from tests.conftest import fresh_database_url

from .test_migrations import light_runtime

# Each branch's head before its exact-money revision.
BEFORE = ("core@head", "partners@head", "catalog@492f4cfe8950", "warehouse@dd71f62debfd", "sales@af0b46032b9b",
          "einvoice@3b67f6946dad")
PRICE = Decimal("12345678901.2345")  # 15 significant digits: a REAL keeps them recoverable
COST = Decimal("0.1")                 # not a binary fraction
QUANTITY = Decimal("2.3333")
RATE = Decimal("0.0825")
DISCOUNT = Decimal("12.5")
EXCHANGE = Decimal("25432.12345678")


def test_exact_value_recovers_what_a_real_column_kept():
    assert exact_value(0.1, 4) == Decimal("0.1000")
    assert exact_value(float("12345678901.2345"), 4) == Decimal("12345678901.2345")
    assert exact_value(7, 4) == Decimal("7.0000") and exact_value(None, 4) is None
    assert exact_value(2.00005, 4) == Decimal("2.0001")  # rounded half up to the column's scale


def _old_rows(conn, business_id: int, sqlite: bool):
    """Rows as the NUMERIC schema stored them (floats on SQLite: what its REAL affinity kept)."""
    def v(d):
        return float(d) if sqlite else d
    stamp = "2026-11-30 10:00:00"
    conn.execute(text("INSERT INTO catalog_tax_class (code, name, rate, exempt, business_id) "
                      "VALUES ('STD', 'Standard', :rate, false, :b)"), {"rate": v(RATE), "b": business_id})
    conn.execute(text("INSERT INTO catalog_product (sku, name, translations, unit, images, active, cost_price, "
                      "sale_price, attribute_names, business_id, created_at, updated_at) VALUES ('P1', 'P', '{}', "
                      "'pc', '[]', true, :cost, :price, '[]', :b, :t, :t)"),
                 {"cost": v(COST), "price": v(PRICE), "b": business_id, "t": stamp})
    doc = conn.execute(text(
        "INSERT INTO einvoice_document (type, state, full_correction, payment_terms, currency, exchange_rate, "
        "language, seller, buyer, buyer_name, payment_method, notes, subtotal, tax_total, total, rounding, "
        "business_id, created_at, updated_at) VALUES ('sales_invoice', 'draft', false, '', 'USD', :fx, 'en', "
        "'{}', '{}', 'B', 'cash', '', :price, 0, :price, 'line', :b, :t, :t) RETURNING id"),
        {"fx": v(EXCHANGE), "price": v(PRICE), "b": business_id, "t": stamp}).scalar()
    conn.execute(text("INSERT INTO einvoice_document_line (document_id, position, description, quantity, unit, "
                      "unit_price, discount_percent, tax_category, net_amount, tax_amount, business_id) VALUES "
                      "(:d, 1, 'x', :q, 'C62', :cost, :disc, 'E', :price, 0, :b)"),
                 {"d": doc, "q": v(QUANTITY), "cost": v(COST), "disc": v(DISCOUNT), "price": v(PRICE),
                  "b": business_id})
    conn.execute(text("UPDATE einvoice_document SET state = 'issued', series = 'INV', year = 2026, number = 1 "
                      "WHERE id = :d"), {"d": doc})
    return doc


def test_revisions_convert_existing_money_without_loss(tmp_path_factory):
    from addons.catalog.models import Product, TaxClass
    from addons.einvoice.models import Document
    from core.addons import migrate
    from core.business import create_business
    rt = light_runtime(fresh_database_url(tmp_path_factory, "money"))
    sqlite = rt.db.url.startswith("sqlite")
    try:
        for target in BEFORE:
            migrate.upgrade(rt.registry, rt.db.url, target)
        with rt.transaction(all_businesses=True) as session:
            business_id = create_business(session, name="Old", slug="old-money", country="US").id
        with rt.db.engine.begin() as conn:
            doc_id = _old_rows(conn, business_id, sqlite)
        migrate.upgrade(rt.registry, rt.db.url)

        with rt.session(business_id) as session:
            product = session.scalar(select(Product))
            assert (product.sale_price, product.cost_price) == (PRICE, COST)
            assert session.scalar(select(TaxClass.rate)) == RATE
            doc = session.get(Document, doc_id)
            assert (doc.exchange_rate, doc.total) == (EXCHANGE, PRICE)
            line = doc.lines[0]
            assert (line.quantity, line.unit_price, line.discount_percent) == (QUANTITY, COST, DISCOUNT)
        columns = {c["name"]: c["type"] for c in inspect(rt.db.engine).get_columns("sales_order_line")}
        if sqlite:
            with rt.db.engine.connect() as conn:
                stored = conn.execute(text("SELECT typeof(sale_price), sale_price FROM catalog_product")).one()
            assert stored == ("integer", 123456789012345)
            assert all(isinstance(columns[c], BigInteger) for c in ("qty", "unit_price", "discount_percent"))
        else:  # NUMERIC stays NUMERIC; the sales quantities widen from (14, 3) to the one quantity type
            assert (columns["qty"].precision, columns["qty"].scale) == (18, 4)
            assert (columns["discount_percent"].precision, columns["discount_percent"].scale) == (5, 2)
        with pytest.raises(IntegrityError, match="issued document"), rt.db.engine.begin() as conn:
            conn.execute(text("UPDATE einvoice_document SET total = 0 WHERE id = :d"), {"d": doc_id})
        with pytest.raises(UserError, match="ck_catalog_tax_class_rate"), rt.transaction(business_id) as session:
            session.add(TaxClass(code="FULL", name="Everything", rate=Decimal(1)))  # CHECK rate < 1 still holds
        with rt.transaction(business_id) as session:
            session.add(TaxClass(code="HIGH", name="High", rate=Decimal("0.9999")))

        _downgrade(rt, BEFORE[2:])  # and back: the NUMERIC schema reads what it stored before
        with rt.db.engine.connect() as conn:
            price, rate = conn.execute(text("SELECT p.sale_price, t.rate FROM catalog_product p, catalog_tax_class t "
                                            "WHERE t.code = 'STD'")).one()
        assert (exact_value(price, 4), exact_value(rate, 4)) == (PRICE, RATE)
    finally:
        rt.db.dispose()


def _downgrade(rt, targets):
    from alembic import command
    from core.addons import migrate
    engine = migrate.migration_engine(rt.db.url)
    try:
        with engine.connect() as connection:
            config = migrate.alembic_config(rt.registry, rt.db.url, connection=connection)
            for target in targets:
                command.downgrade(config, target)
            connection.commit()
    finally:
        engine.dispose()


def test_an_autogenerated_revision_imports_the_money_types(tmp_path, tmp_path_factory):
    from tests.conftest import FIXTURE_ADDONS

    from .conftest import cli_env, run_manage
    from .test_migrations import _revise
    folder = tmp_path / "addons"
    shutil.copytree(FIXTURE_ADDONS / "revision_pair" / "rvp_base", folder / "rvp_base")
    models = folder / "rvp_base" / "models.py"
    models.write_text(models.read_text().replace("from core.db", "from core.money import Amount\nfrom core.db")
                      + "    price: Mapped[object] = mapped_column(Amount())\n")
    env = cli_env("sqlite:///" + str(tmp_path / "unused.db"), addons_path=(folder,))
    revision = _revise(env, folder, "rvp_base", "initial")
    assert "import core.money" in revision and "core.money.Amount()" in revision
    migrated = run_manage("migrate", env=cli_env(fresh_database_url(tmp_path_factory, "rvpm"),
                                                 addons_path=(folder,)))
    assert migrated.returncode == 0, migrated.stderr


def test_a_sqlite_rebuild_keeps_the_tables_expression_indexes(tmp_path):
    """Alembic's batch rebuild cannot reflect an index on ``lower(sku)`` and would drop it (and warn):
    the rebuild puts it back, verbatim, and nothing is printed."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    engine = create_engine(f"sqlite:///{tmp_path / 'rebuild.db'}")
    index_sql = "CREATE UNIQUE INDEX ux_item_sku_ci ON item (lower(sku))"
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, sku VARCHAR(20), price NUMERIC(18, 4))")
            conn.exec_driver_sql(index_sql)
            conn.exec_driver_sql("INSERT INTO item (sku, price) VALUES ('A-1', 1500)")
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _rebuild(Operations(MigrationContext.configure(conn)), "item", {"price": BigInteger()}, {})
            assert conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ux_item_sku_ci'")).scalar() == index_sql
            assert conn.execute(text("SELECT sku, price FROM item")).one() == ("A-1", 1500)
            with pytest.raises(IntegrityError):
                conn.exec_driver_sql("INSERT INTO item (sku, price) VALUES ('a-1', 1)")
    finally:
        engine.dispose()
