"""Secrets: masking (:mod:`deploy.secrets.masking`, a leaf every formatting path uses) and references resolved at
plan time with keyed fingerprints (:mod:`deploy.secrets.references`).

Nothing is imported here, so ``deploy.errors`` can import the masking leaf without pulling in the references
module, which raises ``deploy.errors`` types.
"""
