"""Secrets: the one mask and the one redaction every part uses (logs, config dumps, the UI).

* :data:`MASK` replaces a secret wherever one would be shown;
* a key *looks secret* when it names a password, secret, token, API key, authorization or
  credential (:data:`SECRET_KEY`, case ignored, anywhere in the key);
* a configuration field spec (a mapping with ``value``) is *sensitive* when flagged
  ``sensitive`` or keyed like a secret: its ``value`` and ``default_value`` are masked;
* :func:`redact` returns a copy with both kinds masked (empty values stay empty: nothing to hide).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "********"
SECRET_KEY = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|credential)", re.IGNORECASE)


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and bool(SECRET_KEY.search(key))


def is_sensitive_field(value: Mapping, key: Any) -> bool:
    """A configuration field spec whose value is a secret: flagged ``sensitive``, or keyed like one."""
    return "value" in value and (bool(value.get("sensitive")) or is_secret_key(key))


def redact(value: Any, _key: Any = None) -> Any:
    """Return a copy of ``value`` with secret-looking keys and ``sensitive`` fields masked."""
    if isinstance(value, Mapping):
        if is_sensitive_field(value, _key):
            return {
                k: (MASK if k in ("value", "default_value") and v else redact(v, k)) for k, v in value.items()
            }
        out = {}
        for key, item in value.items():
            if is_secret_key(key) and not isinstance(item, Mapping) and item:
                out[key] = MASK
            else:
                out[key] = redact(item, key)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value
