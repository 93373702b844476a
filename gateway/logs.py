"""Log configuration: one JSON object per line (LOG_FORMAT=json, the default), or text.

Every line carries the request id of the request it belongs to (`request_id`, null outside a
request), so the gateway's lines of one request, and the national services' lines of the calls it
made (they get the same `X-Request-ID`), can be put together. The configuration is handed to
uvicorn, which applies it in every worker process, its own loggers included.
"""

from __future__ import annotations

from typing import Any

_JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s %(process)d"
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_config(log_format: str = "json", level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary for the gateway and uvicorn."""
    level = level.upper()
    formatter: dict[str, Any]
    if log_format == "text":
        formatter = {"format": _TEXT_FORMAT}
    else:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": _JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"},
            "timestamp": True,
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "gateway.request_id.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": level},
    }
