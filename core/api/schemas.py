"""Shared pieces of the API's pydantic models (the project's one schema library, chosen for
OpenAPI 3.1 JSON Schema output): exact money as decimal strings, times in UTC."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, WithJsonSchema


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes of what was stored in UTC; say so."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


Timestamp = Annotated[datetime, AfterValidator(_utc)]

# An amount in an answer, already rounded to its currency by the caller: a plain decimal string
# ("375000", "19.90"), never a float or an exponent.
Money = Annotated[Decimal, PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
                  WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$",
                                  "examples": ["375000", "19.99"]}, mode="serialization")]



def _plain(value: Decimal) -> str:
    """"2.0000" -> "2", "0.1000" -> "0.1": the value without the column's padding, never an exponent."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# A quantity, rate or unit price in an answer: exact, without the storage padding ("2", "0.1", "12.345").
Number = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json"),
                   WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["2", "0.1"]},
                                  mode="serialization")]


class Out(BaseModel):
    """Base of every answer model: built from attributes (ORM rows) or dicts."""
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    """Base of every request model: an unknown field is an error naming it, not silently dropped."""
    model_config = ConfigDict(extra="forbid")


class Query(In):
    pass
