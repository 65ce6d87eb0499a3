"""The ``.tenantry`` archive: a tar of gzip'd JSON-lines tables, stored files and a manifest.

Each member is staged in a temporary file (so the tar header knows its size) and hashed on
the way; the manifest, written last, names every member with its SHA-256. A reader checks
every checksum before anything is imported, so a truncated or altered archive is refused
whole. Nothing is held in memory beyond one row or one chunk.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from tenantry.core.portability.errors import PortabilityError

FORMAT = "tenantry-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20
COMPRESSION = 5
"""zlib level of the table members: JSON lines shrink nearly as well as at 9, much faster."""


class ArchiveError(PortabilityError):
    """The archive cannot be used: the message is the one line the operator sees."""


def table_member(name: str) -> str:
    return f"tables/{name}.jsonl.gz"


def file_member(key: str) -> str:
    return f"files/{key}"


class _Staged:
    """A temporary file being filled, hashed as it is written."""

    def __init__(self, directory: Path) -> None:
        handle, name = tempfile.mkstemp(dir=directory, suffix=".part")
        self.path = Path(name)
        self.raw: IO[bytes] = os.fdopen(handle, "wb")
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.sha256.update(data)
        self.size += len(data)
        self.raw.write(data)


class _HashingWriter:
    """A file object for gzip that forwards to a staged file."""

    def __init__(self, staged: _Staged) -> None:
        self.staged = staged

    def write(self, data: bytes) -> int:
        self.staged.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        self.staged.raw.flush()


class ArchiveWriter:
    """Writes ``path`` atomically: to ``path.partial`` first, renamed when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.workdir = Path(tempfile.mkdtemp(prefix="tenantry-export-", dir=path.parent))
        self.tar = tarfile.open(self.partial, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.members: dict[str, dict[str, Any]] = {}

    def _add(self, name: str, staged: _Staged) -> dict[str, Any]:
        staged.raw.close()
        info = tarfile.TarInfo(name)
        info.size = staged.size
        info.mode = 0o644
        with staged.path.open("rb") as source:
            self.tar.addfile(info, source)
        staged.path.unlink()
        entry = {"sha256": staged.sha256.hexdigest(), "size": staged.size}
        self.members[name] = entry
        return entry

    def open_table(self) -> TableSink:
        return TableSink(self)

    async def file(self, key: str, chunks: AsyncIterator[bytes]) -> dict[str, Any]:
        staged = _Staged(self.workdir)
        async for chunk in chunks:
            staged.write(chunk)
        return self._add(file_member(key), staged)

    def finish(self, manifest: dict[str, Any]) -> None:
        manifest = {**manifest, "members": self.members}
        data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mode = 0o644
        self.tar.addfile(info, io.BytesIO(data))
        self.tar.close()
        self.workdir.rmdir()
        self.partial.replace(self.path)

    def abort(self) -> None:
        self.tar.close()
        for leftover in self.workdir.glob("*"):
            leftover.unlink()
        self.workdir.rmdir()
        self.partial.unlink(missing_ok=True)


class TableSink:
    """One table member filled row by row (the rows come from an async stream)."""

    def __init__(self, writer: ArchiveWriter) -> None:
        self.writer = writer
        self.staged = _Staged(writer.workdir)
        self.gzip = gzip.GzipFile(
            fileobj=_HashingWriter(self.staged), mode="wb", mtime=0, compresslevel=COMPRESSION
        )
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        self.write_many([row])

    def write_many(self, rows: list[dict[str, Any]]) -> None:
        """A batch of rows in one compressor call (a call per row costs more than the row)."""
        if rows:
            self.gzip.write(
                b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows)
            )
            self.count += len(rows)

    def close(self, name: str) -> int:
        self.gzip.close()
        self.writer._add(table_member(name), self.staged)
        return self.count


class ArchiveReader:
    """Reads an archive written by :class:`ArchiveWriter`, refusing a damaged one."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ArchiveError(f"no archive at {path}")
        try:
            self.tar = tarfile.open(path, "r:")  # noqa: SIM115
            self.manifest = self._manifest()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ArchiveError(
                f"{path} is not a readable tenant archive (truncated?): {exc}"
            ) from exc

    def _manifest(self) -> dict[str, Any]:
        try:
            source = self.tar.extractfile(MANIFEST)
        except KeyError:
            raise ArchiveError(
                "the archive has no manifest.json (truncated or not a tenant archive)"
            ) from None
        if source is None:
            raise ArchiveError("the archive's manifest.json is not a file")
        try:
            manifest = orjson.loads(source.read())
        except orjson.JSONDecodeError as exc:
            raise ArchiveError(f"the archive's manifest.json is not JSON: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError("the archive's manifest does not describe a tenant archive")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ArchiveError(
                f"archive format version {manifest.get('format_version')!r} is not supported "
                f"(this tenantry reads version {FORMAT_VERSION})"
            )
        return manifest

    def verify(self) -> None:
        """Check every member against the manifest's SHA-256 and size."""
        members: dict[str, Any] = self.manifest.get("members", {})
        for name, expected in members.items():
            digest = hashlib.sha256()
            size = 0
            try:
                source = self.tar.extractfile(name)
                if source is None:
                    raise KeyError(name)
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
            except KeyError:
                raise ArchiveError(
                    f"archive member {name} is missing (truncated archive?)"
                ) from None
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise ArchiveError(
                    f"archive member {name} cannot be read (truncated?): {exc}"
                ) from exc
            if size != expected.get("size") or digest.hexdigest() != expected.get("sha256"):
                raise ArchiveError(
                    f"checksum mismatch in archive member {name}: "
                    "the archive was altered or truncated"
                )

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        source = self.tar.extractfile(table_member(table))
        if source is None:
            raise ArchiveError(f"archive member {table_member(table)} is missing")
        with gzip.GzipFile(fileobj=source, mode="rb") as lines:
            for line in lines:
                yield orjson.loads(line)

    def file_chunks(self, key: str) -> Iterator[bytes]:
        source = self.tar.extractfile(file_member(key))
        if source is None:
            raise ArchiveError(f"archive member {file_member(key)} is missing")
        while chunk := source.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self.tar.close()
