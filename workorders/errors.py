"""An input that cannot be used, naming the field at fault (forms, API and CLI show the field next to the message)."""
from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
