"""Structured logs with the request id and tenant id bound: coloured lines for people reading a
terminal, JSON lines for machines (``TENANTRY_LOG_FORMAT``: auto, console or json)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def wants_console(log_format: str, stream: TextIO) -> bool:
    """``auto`` picks the console renderer only when ``stream`` is a terminal."""
    if log_format == "auto":
        return stream.isatty()
    return log_format == "console"


def configure_logging(
    level: str = "INFO", log_format: str = "auto", stream: TextIO | None = None
) -> None:
    """One event a line on ``stream`` (stderr); stdlib loggers (uvicorn, sqlalchemy) go through
    the same renderer, so a terminal shows one style and a collector gets only JSON."""
    out = stream if stream is not None else sys.stderr
    renderer: structlog.types.Processor
    if wants_console(log_format, out):
        renderer = structlog.dev.ConsoleRenderer(colors=True)  # renders tracebacks itself
        finishing: list[structlog.types.Processor] = [renderer]
    else:
        renderer = structlog.processors.JSONRenderer()
        finishing = [structlog.processors.format_exc_info, renderer]
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, *finishing],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *finishing],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # /readyz asks it for the revision


log = structlog.get_logger("tenantry")
