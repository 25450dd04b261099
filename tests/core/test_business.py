import pytest

from core.business import create_business
from core.errors import UserError
from core.models import Business, Role
from sqlalchemy import select


def test_business_gets_currency_and_admin_role(runtime, make_business):
    business = make_business(country="KR")
    assert business.currency == "KRW"
    with runtime.session(business.id) as session:
        assert session.scalars(select(Role.name)).all() == ["Administrator"]


def test_bad_business_is_refused_with_every_reason_and_nothing_written(runtime):
    with pytest.raises(UserError) as err:
        with runtime.transaction(all_businesses=True) as session:
            create_business(session, name="", slug="Bad Slug", country="XX", timezone="Mars/Base",
                            tax_id="123")
    message = str(err.value)
    for part in ("name", "slug", "country", "timezone"):
        assert part in message
    with runtime.session(all_businesses=True) as session:
        assert session.scalar(select(Business).where(Business.slug == "Bad Slug")) is None


def test_tax_id_is_validated_with_stdnum(runtime):
    with pytest.raises(UserError, match="tax_id"):
        with runtime.transaction(all_businesses=True) as session:
            create_business(session, name="X", slug="vn-bad-tax", country="VN", tax_id="0100109105")
    with runtime.transaction(all_businesses=True) as session:
        business = create_business(session, name="X", slug="vn-good-tax", country="VN", tax_id="0100109106")
    assert business.tax_id == "0100109106"


@pytest.mark.parametrize("country", ["ZZ", "001", "X"])
def test_a_region_that_is_not_a_country_is_refused_once(runtime, country):
    with pytest.raises(UserError) as err:
        with runtime.transaction(all_businesses=True) as session:
            create_business(session, name="X", slug=f"not-a-country-{country.lower()}", country=country)
    assert "country" in str(err.value) and "currency" not in str(err.value)
