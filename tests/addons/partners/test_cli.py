"""``manage.py partners list|show``: search, role filters, archived, --json, and one-line errors."""
import pytest

from addons.partners.services import create_partner, update_partner
from core.models import Business
from tests.cli.conftest import Cli, cli_env


@pytest.fixture
def cli(runtime, tmp_path):
    return Cli(cli_env(runtime.db.url, instance=tmp_path))


@pytest.fixture
def book(runtime, make_business):
    biz = make_business(country="VN", addons=["partners"])
    with runtime.transaction(biz.id) as session:
        sao = create_partner(session, kind="company", name="Công ty TNHH Sao Mai", country="VN",
                             tax_id="0100112437", email="sales@saomai.vn", language="vi")
        create_partner(session, name="Lan Nguyen", country="VN", email="lan@example.vn")
        create_partner(session, kind="company", name="Tea Growers Co", country="VN", is_customer=False,
                       is_supplier=True, email="orders@tea.example")
        gone = create_partner(session, name="Old Customer", country="VN")
        update_partner(session, gone.id, active=False)
    with runtime.session(all_businesses=True) as session:
        slug = session.get(Business, biz.id).slug
    return slug, sao.id


def test_list_filters_and_json(cli, book):
    slug, _ = book
    names = lambda *args: [r["name"] for r in cli.json("partners", "list", *args, "--business", slug)]  # noqa: E731
    assert names() == ["Công ty TNHH Sao Mai", "Lan Nguyen", "Tea Growers Co"]
    assert names("--suppliers") == ["Tea Growers Co"]
    assert names("--customers") == ["Công ty TNHH Sao Mai", "Lan Nguyen"]
    assert names("saomai") == ["Công ty TNHH Sao Mai"]             # e-mail matches the search
    assert names("--archived") == ["Old Customer"]
    assert names("--limit", "1") == ["Công ty TNHH Sao Mai"]
    row = cli.json("partners", "list", "0100112437", "--business", slug)[0]
    assert row["tax_id"] == "0100112437" and row["customer"] is True and row["supplier"] is False
    text = cli("partners", "list", "--business", slug).stdout
    assert text.splitlines()[0].split()[:3] == ["ID", "NAME", "KIND"] and "Tea Growers Co" in text


def test_show_by_id_tax_id_or_email(cli, book):
    slug, sao_id = book
    for ref in (sao_id, "0100112437", "SALES@saomai.vn"):
        data = cli.json("partners", "show", ref, "--business", slug)
        assert data["id"] == sao_id and data["language"] == "vi" and "street" in data
    assert "Công ty TNHH Sao Mai" in cli("partners", "show", sao_id, "--business", slug).stdout


def test_errors_are_one_line(cli, book, make_business):
    slug, sao_id = book
    missing = cli("partners", "show", "nobody@nowhere", "--business", slug, ok=False)
    assert missing.exit_code == 1 and missing.stderr.strip() == (
        "error: no partner 'nobody@nowhere' (give the id, the tax id or the e-mail)")
    other = make_business(country="VN", addons=["partners"])  # another business's id is not found
    other_slug = other.slug
    assert "no partner" in cli("partners", "show", sao_id, "--business", other_slug, ok=False).stderr
    off = make_business(country="VN")
    refused = cli("partners", "list", "--business", off.slug, ok=False)
    assert refused.exit_code == 1 and "addon 'partners' is not enabled" in refused.stderr
