"""OpenAPI Schema Objects → JSON Schema 2020-12, per direction (request/response).

>>> from conformance.schema import schema_set
>>> schema_set(spec, "response").schema(location)  # doctest: +SKIP
"""

from .catalog import DIRECTIONS, SchemaSet, schema_set
from .convert import DISCRIMINATOR, MAX_DEPTH
from .strict import strict_schema

__all__ = [
    "DIRECTIONS",
    "DISCRIMINATOR",
    "MAX_DEPTH",
    "SchemaSet",
    "schema_set",
    "strict_schema",
]
