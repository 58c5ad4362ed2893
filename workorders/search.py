"""What the search box of a capped list takes (/work's queues, /supervision's lists, /admin's users): every such
list shows its first rows only, sorted by deadline or name, and the box reaches any of the others."""
from __future__ import annotations

from workorders.errors import FieldError

MAX_FIND = 50                 # a ticket's number, a part of an address, a username


def search_text(value: str | None, field: str = "find") -> str | None:
    """The typed search, spaces collapsed; None when empty. Too long or invisible characters: a FieldError naming
    ``field``."""
    text = " ".join(str(value or "").split())
    if len(text) > MAX_FIND:
        raise FieldError(field, f"查找内容不能超过 {MAX_FIND} 个字")
    if text and not text.isprintable():
        raise FieldError(field, "查找内容含有不可见字符")
    return text or None
