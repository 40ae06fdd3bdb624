"""The HTTP API (litestar): routes, schemas, the bearer middleware and problem details. The
only package that knows HTTP; the command line is in :mod:`cli`.

``create_app(settings)`` is the composition root; controllers are thin.
"""
