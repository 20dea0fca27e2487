"""Read-only JSON API (/api/v1): the public catalogue's listings and buyers' open commitments.

No sign-in and nothing beyond what the public pages show; GET only, so CSRF does not apply;
rate-limited per client address, one budget for every endpoint (MINKA_API_LIMIT, 120
per minute by default).
"""
