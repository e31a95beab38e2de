"""Calling a running endpoint. ``endpoint`` composes the client; the rest is its pure half: request bodies
(``requests``), response parsing (``results``), stream reassembly (``streaming``) and error classification (``errors``).

The pure half imports no boto3 or does I/O, so every rule (which parameters LMI v15 maps, how a 507 is explained)
is unit-tested without a network. :mod:`deploy.invoke.endpoint` puts these pieces together with the runtime gateway.
"""
