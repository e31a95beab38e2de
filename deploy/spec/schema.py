"""The JSON Schema of the deployment spec, generated from the pydantic models.

A copy is checked in at ``schema/lmi-deploy.schema.json`` for editors (YAML language servers read it from a
``# yaml-language-server: $schema=...`` comment); a test fails when the two drift apart.
"""

from __future__ import annotations

import json

SCHEMA_ID = "https://lmi-deploy.dev/schema/lmi-deploy.schema.json"


def spec_json_schema() -> str:
    """The schema as stable, pretty JSON text ending in a newline."""
    from deploy.spec.model import DeploymentSpec

    schema = DeploymentSpec.model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
