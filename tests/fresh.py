"""Values no earlier run has used, so that a test never meets what runs before it left in the shared database."""
from __future__ import annotations

import random
import uuid


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_phone() -> str:
    """A mobile number of 11 digits, random after a fixed 139."""
    return "139" + "".join(random.choice("0123456789") for _ in range(8))
