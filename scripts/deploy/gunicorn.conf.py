"""gunicorn settings for a Minka web host (production and `make hosts`).

    gunicorn -c scripts/deploy/gunicorn.conf.py wsgi:app

Every value can be changed by the environment: MINKA_BIND (default 127.0.0.1:8000, behind
the reverse proxy), MINKA_WORKERS (default 2 × cores + 1), MINKA_THREADS (default 1: sync
workers; Minka's requests are short and its database pool is per process).
"""

import multiprocessing
import os

bind = os.environ.get("MINKA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MINKA_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("MINKA_THREADS", "1"))
# A matching run goes to the RQ worker, an upload is at most a few MB: no request should
# take long; a stuck worker is restarted.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, so a slow leak never grows (jitter: not all at once).
max_requests = 5000
max_requests_jitter = 500
# The proxy's X-Forwarded-* headers are read by the app itself (MINKA_TRUSTED_PROXIES).
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"
# Each worker builds its own app: no database or Redis connection crosses a fork.
preload_app = False
