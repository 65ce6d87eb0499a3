"""Logs: coloured lines on a terminal (a real pseudo-terminal here), JSON lines elsewhere."""

from __future__ import annotations

import json
import logging
import os
import select
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from tenantry.logging import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def _emit() -> None:
    structlog.get_logger("test").info("request finished", tenant_id=7, status=200)
    logging.getLogger("uvicorn.error").warning("from the standard library")


def test_json_lines_when_the_output_is_not_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with path.open("w") as stream:
        configure_logging("INFO", "auto", stream)
        _emit()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [event["event"] for event in events] == [
        "request finished",
        "from the standard library",
    ]
    assert events[0]["tenant_id"] == 7
    assert events[0]["level"] == "info"
    assert events[1]["logger"] == "uvicorn.error"
    assert "\x1b[" not in path.read_text()


def _terminal_output(log_format: str) -> str:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as stream:
        configure_logging("INFO", log_format, stream)
        _emit()
        stream.flush()
        data = b""
        # The terminal hands over what was written in pieces: read until both events arrived.
        while b"from the standard library" not in data:
            ready, _, _ = select.select([leader], [], [], 10)
            if not ready:
                break
            data += os.read(leader, 65536)
    os.close(leader)
    return data.decode()


def test_coloured_lines_on_a_terminal() -> None:
    output = _terminal_output("auto")
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 2  # one line an event
    assert "\x1b[" in output  # ANSI colours
    assert "request finished" in lines[0] and "tenant_id" in lines[0]
    assert "from the standard library" in lines[1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


def test_the_setting_overrides_the_terminal_guess(tmp_path: Path) -> None:
    output = _terminal_output("json")
    assert json.loads(output.splitlines()[0])["event"] == "request finished"
    path = tmp_path / "log"
    with path.open("w") as stream:
        configure_logging("INFO", "console", stream)
        _emit()
    assert "request finished" in path.read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(path.read_text().splitlines()[0])
