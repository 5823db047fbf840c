"""The checked-in OpenAPI schema is the code's: regenerate it with `make schema` when the API changes."""

from pathlib import Path

import yaml
from drf_spectacular.generators import SchemaGenerator

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_docs_openapi_yaml_matches_the_code():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    checked_in = yaml.safe_load(CHECKED_IN.read_text())
    # Compared as data (the YAML writer's layout is not the point), normalised through JSON types.
    assert yaml.safe_load(yaml.safe_dump(generated)) == checked_in, "docs/openapi.yaml is stale: run `make schema`"


def test_every_operation_documents_the_error_shape():
    schema = yaml.safe_load(CHECKED_IN.read_text())
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code in ("400", "401", "403", "404"):
                assert code in operation["responses"], (method, path, code)
