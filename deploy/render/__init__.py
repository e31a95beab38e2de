"""Rendering: a resolved spec becomes serving.properties (``properties``), the SageMaker request bodies
(``bodies``) and the Jinja templates' Python side (``templates``).

Pure: no environment variables, no files except the shipped templates, no clocks, no AWS.
"""
