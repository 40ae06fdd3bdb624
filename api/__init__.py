"""The HTTP API (litestar) and the ``passbook`` command line. The only package that knows HTTP.

``create_app(settings)`` is the composition root; controllers are thin.
"""
