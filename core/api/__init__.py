"""The REST API at ``/api/v1``: tokens, problem details, pagination, idempotency, OpenAPI, webhooks.

The core owns the frame (``blueprint``, ``router``, ``tokens``, ``problems``,
``pagination``, ``idempotency``, ``ratelimit``, ``openapi``, ``webhooks``); every
addon adds its resources with ``[provides] api = ".api:register"``, a
``register(api)`` that calls ``api.get/post/patch(...)`` the way ``admin.py`` adds
views, and the events integrators may subscribe to with ``[[webhooks]]``.
``core.models`` imports ``core.api.models`` only. See core/api/README.md.
"""
