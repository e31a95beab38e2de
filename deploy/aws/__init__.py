"""The AWS gateway: the only package that imports boto3/botocore (besides ``deploy.local``).

``session.py`` builds sessions and clients (explicit retry mode, the standard AWS_* settings honoured) and
translates ``ClientError`` into lmi-deploy errors. Other modules of this package add one typed method per AWS call.
"""
