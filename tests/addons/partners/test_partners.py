import random

import pytest
from sqlalchemy import select
from stdnum.mx import rfc

from addons.partners import demo
from addons.partners.models import Partner
from addons.partners.services import (create_partner, find_partners, get_partner, partner_snapshot,
                                      update_partner)
from addons.partners.taxids import GENERATORS
from core.errors import NotFound, UserError
from core.taxid import validate_tax_id


def test_company_tax_id_is_validated_and_compacted(runtime, make_business):
    biz = make_business(country="VN", addons=["partners"])
    with runtime.transaction(biz.id) as session:
        partner = create_partner(session, kind="company", name="Công ty TNHH Sao Mai", country="vn",
                                 tax_id="01.00.112.437", email="Sales@SaoMai.vn", language="vi")
    assert partner.tax_id == "0100112437"
    assert partner.country == "VN" and partner.email == "sales@saomai.vn"
    with runtime.session(biz.id) as session:
        assert partner_snapshot(get_partner(session, partner.id))["tax_id"] == "0100112437"


def test_every_problem_is_reported_and_nothing_written(runtime, make_business):
    biz = make_business(country="KR", addons=["partners"])
    with pytest.raises(UserError) as err:
        with runtime.transaction(biz.id) as session:
            create_partner(session, kind="robot", name=" ", country="XX", email="nope", language="fr",
                           phone="call me")
    for word in ("kind", "name", "country", "email", "language", "phone"):
        assert word in str(err.value)
    with pytest.raises(UserError, match="tax_id"):
        with runtime.transaction(biz.id) as session:
            create_partner(session, kind="company", name="Bad", country="KR", tax_id="80123456785")
    with runtime.session(biz.id) as session:
        assert session.scalars(select(Partner)).all() == []


def test_update_revalidates_tax_id_for_new_country(runtime, make_business):
    biz = make_business(country="DE", addons=["partners"])
    with runtime.transaction(biz.id) as session:
        partner = create_partner(session, kind="company", name="Nordlicht", country="DE",
                                 tax_id="DE136695976")
    with pytest.raises(UserError, match="tax_id"):
        with runtime.transaction(biz.id) as session:
            update_partner(session, partner.id, country="RU")
    with runtime.transaction(biz.id) as session:
        update_partner(session, partner.id, city="Berlin", is_supplier=True)
    with runtime.session(biz.id) as session:
        again = get_partner(session, partner.id)
        assert (again.country, again.city, again.is_supplier) == ("DE", "Berlin", True)
        assert [p.id for p in find_partners(session, "nord", suppliers=True)] == [partner.id]
    with pytest.raises(UserError, match="unknown field"):
        with runtime.transaction(biz.id) as session:
            update_partner(session, partner.id, colour="red")


def test_tenancy_other_business_partner_is_invisible(runtime, make_business):
    a = make_business(country="VN", addons=["partners"])
    b = make_business(country="VN", addons=["partners"])
    with runtime.transaction(a.id) as session:
        pa = create_partner(session, name="Only A", country="VN")
    with runtime.session(b.id) as session:
        assert session.scalars(select(Partner)).all() == []
        with pytest.raises(NotFound):
            get_partner(session, pa.id)
    with pytest.raises(NotFound):
        with runtime.transaction(b.id) as session:
            update_partner(session, pa.id, name="stolen")


def test_eu_vat_numbers_are_stored_with_their_own_prefix_only(runtime, make_business):
    biz = make_business(country="DE", addons=["partners"])
    with runtime.transaction(biz.id) as session:
        german = create_partner(session, kind="company", name="Nordlicht", country="DE", tax_id="136 695 976")
        greek = create_partner(session, kind="company", name="Ελαιώνας", country="GR", tax_id="GR094259216")
    assert (german.tax_id, greek.tax_id) == ("DE136695976", "EL094259216")
    with pytest.raises(UserError, match="tax_id: 'FR40303265045' carries the VAT prefix FR"):
        with runtime.transaction(biz.id) as session:
            create_partner(session, kind="company", name="Lumière", country="DE", tax_id="FR40303265045")
    with pytest.raises(UserError, match="tax_id: .*check digit"):
        with runtime.transaction(biz.id) as session:
            create_partner(session, kind="company", name="한빛", country="KR", tax_id="220-81-62518")


@pytest.mark.parametrize("country", sorted(GENERATORS))
def test_generated_tax_ids_are_valid(country):
    rng = random.Random(7)
    for _ in range(200):
        number = GENERATORS[country](rng)
        validate_tax_id(country, number)
        if country == "MX":
            rfc.validate(number, validate_check_digits=True)


def test_demo_makes_fifty_customers_in_six_countries(runtime, make_business):
    biz = make_business(country="KR", addons=["partners"])
    with runtime.transaction(biz.id) as session:
        made = demo.load(session, biz.id, random.Random(3))
    assert len(made) == 50
    assert {p.country for p in made} == {"KR", "VN", "MX", "CN", "RU", "DE"}
    companies = [p for p in made if p.kind == "company"]
    assert companies and all(p.tax_id for p in companies)
    for p in companies:
        validate_tax_id(p.country, p.tax_id)


@pytest.mark.parametrize("value, error", [
    ("8935012345677", "scheme:identifier"),
    ("0088:8935012345678", "not a valid GLN"),
    ("88:8935012345677", "scheme:identifier"),
])
def test_peppol_address_is_validated(runtime, make_business, value, error):
    business = make_business(country="VN", addons=["partners"])
    with pytest.raises(UserError, match=error):
        with runtime.transaction(business.id) as s:
            create_partner(s, name="Công ty A", country="VN", kind="company", peppol_id=value)
    with runtime.transaction(business.id) as s:
        partner = create_partner(s, name="Công ty B", country="VN", kind="company", peppol_id="0088:8935012345677")
        assert partner_snapshot(partner)["peppol_id"] == "0088:8935012345677"


def test_partner_without_a_language_gets_the_buyer_language_rule(runtime, make_business):
    """No language given: the country's (core.i18n.buyer_language, as order entry), else the
    business's first language; a language given is kept."""
    korean_shop = make_business(country="KR", languages=["ko", "en"], addons=["partners"])
    with runtime.transaction(korean_shop.id) as session:
        vietnamese = create_partner(session, name="Trần Thị B", country="vn")
        unknown = create_partner(session, name="Hans Muster", country="CH")
        blank = create_partner(session, name="Blank", country="CH", language=" ")
        chosen = create_partner(session, name="Kim", country="VN", language="en")
    assert (vietnamese.language, unknown.language, blank.language, chosen.language) == ("vi", "ko", "ko", "en")
    spanish_shop = make_business(country="ES", languages=["es"], addons=["partners"])
    with runtime.transaction(spanish_shop.id) as session:
        assert create_partner(session, name="Anon", country="CH").language == "es"
        assert create_partner(session, name="Ivan", country="RU").language == "ru"
