"""FieldErrors: every problem of one input, each naming its field, for the CLI line and a form's marks."""
from __future__ import annotations

from core.cli import one_line
from core.errors import FieldErrors, UserError


def test_problems_join_into_one_line_and_name_their_fields():
    error = FieldErrors(["lines[1].qty: must be greater than 0", "customer.tax_id: bad check digit: 12"])
    assert isinstance(error, UserError)
    assert str(error) == "lines[1].qty: must be greater than 0; customer.tax_id: bad check digit: 12"
    assert one_line(error) == str(error)
    assert error.fields == {"lines[1].qty", "customer.tax_id"}
