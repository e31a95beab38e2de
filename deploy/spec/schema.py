"""The JSON Schema of the deployment spec, generated from the pydantic models.

A copy is checked in at ``schema/lmi-deploy.schema.json`` for editors (YAML language servers read it from a
``# yaml-language-server: $schema=...`` comment); a test fails when the two drift apart.
"""

from __future__ import annotations

import json

SCHEMA_ID = "https://lmi-deploy.dev/schema/lmi-deploy.schema.json"
COMPONENTS_SCHEMA_ID = "https://lmi-deploy.dev/schema/lmi-deploy-components.schema.json"


def spec_json_schema(components: bool = False) -> str:
    """The schema as stable, pretty JSON text ending in a newline (``components``: the component-endpoint one,
    checked in at ``schema/lmi-deploy-components.schema.json``)."""
    from deploy.spec.components import ComponentEndpointSpec
    from deploy.spec.model import DeploymentSpec

    root = ComponentEndpointSpec if components else DeploymentSpec
    schema = root.model_json_schema(mode="validation")
    schema_id = COMPONENTS_SCHEMA_ID if components else SCHEMA_ID
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, **schema}
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
