"""The pure half of the endpoint client: request bodies, response parsing and error classification.

Nothing here imports boto3 or does I/O, so every rule (which parameters LMI v15 maps, how a 507 is explained)
is unit-tested without a network. :mod:`deploy.invoke` puts these pieces together with the runtime gateway.
"""
