"""The deploy engine: resolve a spec, build the desired state with content-hashed names, observe what exists,
plan the difference and apply it, plus waiting, artifact uploads, failure diagnosis and IAM policies.
"""
