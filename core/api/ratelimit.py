"""Requests per token and minute (``TESSERA_API_RATE_LIMIT``; 0 turns it off).

With a Redis broker (``TESSERA_BROKER_URL=redis://...``) the count is shared by every web
process and host: a fixed one-minute window per token (``INCR`` + ``EXPIRE`` on
``tessera:api-rate:<token id>:<minute>``). Otherwise (the embedded default, RabbitMQ) it is
a sliding window of the last minute's request times per token in this web process, so N
web processes give a token up to N times the limit. Either way it costs no database write
per request. Past the limit a request is a 429 problem with ``Retry-After``; if Redis cannot
be reached the process falls back to its own window (logged) rather than refusing requests.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0
log = logging.getLogger(__name__)


class RateLimiter:
    """The in-process sliding window."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[int, deque] = {}
        self._lock = threading.Lock()

    def hit(self, token_id: int) -> tuple[bool, int, int]:
        """Count one request of ``token_id``: (allowed, remaining, seconds until a slot frees)."""
        if self.limit <= 0:
            return True, 0, 0
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(token_id, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False, 0, max(1, math.ceil(self.window - (now - hits[0])))
            hits.append(now)
            return True, self.limit - len(hits), 0


class RedisRateLimiter:
    """The window shared through Redis by every web process (see the module docstring)."""

    def __init__(self, limit: int, url: str, window: int = int(WINDOW_SECONDS), clock=time.time):
        import redis
        self.limit, self.window, self.clock = limit, window, clock
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.fallback = RateLimiter(limit, window)

    def hit(self, token_id: int) -> tuple[bool, int, int]:
        if self.limit <= 0:
            return True, 0, 0
        self.fallback.limit = self.limit
        now = self.clock()
        slot = int(now // self.window)
        key = f"tessera:api-rate:{token_id}:{slot}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, self.window * 2)
            count = int(pipe.execute()[0])
        except Exception as exc:  # Redis down: keep serving, counted in this process
            log.warning("API rate limit: Redis unreachable (%s); counting in this process", exc)
            return self.fallback.hit(token_id)
        if count > self.limit:
            return False, 0, max(1, math.ceil((slot + 1) * self.window - now))
        return True, self.limit - count, 0


def limiter_for(config):
    """The shared Redis window when the broker is Redis, else the in-process one."""
    url = config["BROKER_URL"]
    if url.startswith(("redis://", "rediss://")):
        return RedisRateLimiter(config["API_RATE_LIMIT"], url)
    return RateLimiter(config["API_RATE_LIMIT"])
