"""The deployment spec: the pydantic model (``model``), its cross-field rules (``rules``), reading YAML files with
line numbers (``loader``), the JSON schema for editors (``schema``) and ``lmi init``'s starter files (``starter``).

Pure: nothing here touches the network or AWS.
"""
