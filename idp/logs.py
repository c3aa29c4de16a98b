"""Log output: plain text by default, or one JSON object a line (``log_format = "json"``,
``IDP_LOG_FORMAT=json``) for a log collector.

Each JSON line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, and
``exception`` when there is one. What is logged is unchanged: never secrets, codes or
personal data.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str) -> None:
    """Write the root logger's records to standard error in ``log_format``."""
    if log_format not in FORMATS:
        raise ValueError(f"log_format must be one of {', '.join(FORMATS)}")
    if log_format == "text":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
