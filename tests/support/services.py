"""Optional services (PostgreSQL, Redis): skipped locally when missing, required in CI."""

from __future__ import annotations

import os

import pytest


def require_service(name: str, available: bool) -> None:
    """Skip locally when a service is missing; fail in CI, where every service must run."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI but is not configured", pytrace=False)
    pytest.skip(f"{name} is not configured (set it up as .ci/run does)")
