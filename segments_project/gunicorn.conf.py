"""gunicorn settings for production: `gunicorn -c segments_project/gunicorn.conf.py`.

Workers come from WEB_CONCURRENCY (default: 2 per core + 1), the address from BIND or PORT.
Request lines are logged by the application itself (structured, with timings).
"""

import multiprocessing
import os

wsgi_app = "segments_project.wsgi:application"
bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (a bound on any slow leak), at a random
# point within the jitter so that workers do not restart together. Each replacement boots
# the application again and starts with cold per-process state (remembered tokens,
# connections): at 10,000 the 4 workers of the storefront benchmark restarted every few
# seconds at 2,000 req/s, all four within one 20 s phase (M: 611 req/s against 1,465 on
# workers that did not restart).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
