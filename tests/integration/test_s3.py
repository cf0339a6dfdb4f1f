"""S3 on gleaner's endpoint (path-style, us-east-1, the test key pair), as S3 documents it, through
boto3 (Debian's 1.26 / botocore 1.29: path-style for an IP endpoint, a Content-MD5 on every
PutObject/UploadPart/DeleteObjects, `Expect: 100-continue` on every PutObject/UploadPart, and
EncodingType=url on every ListObjectsV2, decoded back when the reply says EncodingType=url) and the
AWS CLI v2 (`aws s3 cp/sync/ls/rm/mb/rb`, `aws s3api`).

Every test gets its own server (about 50 ms to start) and makes what it needs; bodies are made
here (os.urandom, seeded random.Random) rather than kept in the repository."""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import random
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
import zlib
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from gleaner_testlib import (ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY,
                             client_error)

KiB = 1024
MiB = 1024 * KiB
BUCKET = "gleaner-s3-tests"
# Keys S3 takes as they are: spaces, unicode, '+', '%', '/', '='.
SPECIAL_KEYS = [
    "with space.txt",
    "plus+sign",
    "percent%20not-a-space",
    "equals=sign&more=yes",
    "unicodé/ключ/日本語.bin",
    "deep/a/b/c/d.txt",
    "trailing-slash/",
    " leading space",
    "100%",
]


# ----- helpers -----
def randbytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def etag_of(body: bytes) -> str:
    return '"%s"' % hashlib.md5(body).hexdigest()


def multipart_etag(parts: list[bytes]) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(part).digest() for part in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value (RFC 3720)


def checksum(algorithm: str, data: bytes) -> str:
    """The base64 value of an x-amz-checksum-<algorithm> header."""
    if algorithm == "CRC32":
        raw = zlib.crc32(data).to_bytes(4, "big")
    elif algorithm == "CRC32C":
        raw = crc32c(data).to_bytes(4, "big")
    elif algorithm == "SHA1":
        raw = hashlib.sha1(data).digest()
    else:
        raw = hashlib.sha256(data).digest()
    return base64.b64encode(raw).decode()


def refused(call, **kwargs) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a call that must fail with a ClientError."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return client_error(caught)


def client_for(gleaner, key=ACCESS_KEY_ID, secret=SECRET_ACCESS_KEY, **config):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    region_name=REGION)
    return session.client("s3", endpoint_url=gleaner.endpoint, config=Config(
        retries={"total_max_attempts": 1, "mode": "standard"}, **config))


def keys_in(s3, bucket: str, prefix: str = "") -> list[str]:
    keys, token = [], None
    for _ in range(1000):
        kwargs = {"Bucket": bucket, "Prefix": prefix}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        keys += [entry["Key"] for entry in page.get("Contents", [])]
        if not page["IsTruncated"]:
            return keys
        token = page["NextContinuationToken"]
    raise AssertionError("ListObjectsV2 never stopped paging")


def bucket_names(s3) -> list[str]:
    """The names ListBuckets gives, sorted (S3 lists by name; not asserted here)."""
    return sorted(entry["Name"] for entry in s3.list_buckets()["Buckets"])


def unsigned(gleaner, method: str, path: str, body: bytes | None = None):
    """(status, S3 error code or None, body) of a request with no signature at all."""
    request = urllib.request.Request(gleaner.endpoint + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, None, response.read()
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            code = ElementTree.fromstring(text).findtext("Code")
        except ElementTree.ParseError:
            code = None
        return error.code, code, text


def near_now(moment: datetime.datetime) -> bool:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now - datetime.timedelta(minutes=5) < moment < now + datetime.timedelta(minutes=1)


# ----- fixtures -----


# ===== buckets =====
def test_created_buckets_are_listed_by_name_and_answer_head_bucket(s3):
    for name in ("zeta-bucket", "alpha-bucket", "mid.dotted.bucket"):
        created = s3.create_bucket(Bucket=name)
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    listed = s3.list_buckets()["Buckets"]
    assert sorted(entry["Name"] for entry in listed) == ["alpha-bucket", "mid.dotted.bucket",
                                                        "zeta-bucket"]
    assert all(near_now(entry["CreationDate"]) for entry in listed), listed
    assert s3.head_bucket(Bucket="alpha-bucket")["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_head_bucket_of_a_missing_bucket_is_404(s3):
    status, _, _ = refused(s3.head_bucket, Bucket="no-such-bucket-here")
    assert status == 404


def test_creating_a_bucket_you_already_own_is_bucket_already_owned_by_you(s3, bucket):
    status, code, _ = refused(s3.create_bucket, Bucket=bucket)
    assert (status, code) == (409, "BucketAlreadyOwnedByYou")
    assert bucket_names(s3) == [bucket]


@pytest.mark.parametrize("name", [
    "ab",                 # shorter than 3
    "a" * 64,             # longer than 63
    "Upper-Case",         # upper case
    "under_score",        # underscore
    "-leading-hyphen",
    "trailing-hyphen-",
    "two..dots",
    "192.168.5.4",        # formatted as an IP address
])
def test_an_invalid_bucket_name_is_invalid_bucket_name(s3, name):
    status, code, _ = refused(s3.create_bucket, Bucket=name)
    assert (status, code) == (400, "InvalidBucketName")
    assert bucket_names(s3) == []


def test_an_empty_bucket_can_be_deleted(s3, bucket):
    deleted = s3.delete_bucket(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert bucket_names(s3) == []
    assert refused(s3.head_bucket, Bucket=bucket)[0] == 404
    assert refused(s3.list_objects_v2, Bucket=bucket)[:2] == (404, "NoSuchBucket")


def test_deleting_a_bucket_that_holds_objects_is_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep-me", Body=b"x")
    status, code, _ = refused(s3.delete_bucket, Bucket=bucket)
    assert (status, code) == (409, "BucketNotEmpty")
    assert keys_in(s3, bucket) == ["keep-me"]
    s3.delete_object(Bucket=bucket, Key="keep-me")
    s3.delete_bucket(Bucket=bucket)
    assert bucket_names(s3) == []


def test_deleting_a_missing_bucket_is_no_such_bucket(s3):
    assert refused(s3.delete_bucket, Bucket="never-made")[:2] == (404, "NoSuchBucket")


# ===== objects: put, get, head, delete =====
def test_put_then_get_returns_the_bytes_etag_type_and_metadata(s3, bucket):
    body = os.urandom(MiB + 17)
    put = s3.put_object(Bucket=bucket, Key="blob.bin", Body=body, ContentType="application/x-test",
                        Metadata={"color": "blue", "answer": "42"})
    assert put["ETag"] == etag_of(body)
    got = s3.get_object(Bucket=bucket, Key="blob.bin")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == body
    assert got["ETag"] == etag_of(body)
    assert got["ContentLength"] == len(body)
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"color": "blue", "answer": "42"}
    assert near_now(got["LastModified"])


def test_head_object_has_the_headers_and_no_body(s3, bucket):
    body = b"head me, not my body"
    s3.put_object(Bucket=bucket, Key="head.txt", Body=body, ContentType="text/plain",
                  Metadata={"owner": "tests"})
    head = s3.head_object(Bucket=bucket, Key="head.txt")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == etag_of(body)
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"owner": "tests"}
    got = s3.get_object(Bucket=bucket, Key="head.txt")
    assert head["LastModified"] == got["LastModified"]


def test_an_object_put_without_a_content_type_is_binary_octet_stream(s3, bucket):
    s3.put_object(Bucket=bucket, Key="untyped", Body=b"\x00\x01")  # boto3 sends no Content-Type
    assert s3.head_object(Bucket=bucket, Key="untyped")["ContentType"] == "binary/octet-stream"


def test_an_empty_object_round_trips(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b"" and got["ContentLength"] == 0
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_putting_a_key_again_replaces_body_metadata_and_etag(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first version", Metadata={"v": "1"},
                  ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second", Metadata={"w": "2"})
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["ETag"] == etag_of(b"second")
    assert got["Metadata"] == {"w": "2"}
    assert got["ContentType"] == "binary/octet-stream"
    assert keys_in(s3, bucket) == ["k"]


def test_keys_with_spaces_unicode_and_reserved_characters_round_trip(s3, bucket):
    for index, key in enumerate(SPECIAL_KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode() + bytes([index]))
    for index, key in enumerate(SPECIAL_KEYS):
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == key.encode() + bytes([index]), key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode()) + 1
    # Listed in UTF-8 byte order (= code point order), each key exactly as put.
    assert keys_in(s3, bucket) == sorted(SPECIAL_KEYS)
    rolled = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == [
        "deep/", "trailing-slash/", "unicodé/"]
    assert [entry["Key"] for entry in rolled["Contents"]] == sorted(
        key for key in SPECIAL_KEYS if "/" not in key)
    assert keys_in(s3, bucket, prefix="unicodé/ключ/") == ["unicodé/ключ/日本語.bin"]
    for key in SPECIAL_KEYS:
        s3.delete_object(Bucket=bucket, Key=key)
    assert keys_in(s3, bucket) == []


def test_get_of_a_missing_key_is_no_such_key(s3, bucket):
    status, code, _ = refused(s3.get_object, Bucket=bucket, Key="absent/key.txt")
    assert (status, code) == (404, "NoSuchKey")


def test_head_of_a_missing_key_is_404(s3, bucket):
    assert refused(s3.head_object, Bucket=bucket, Key="absent")[0] == 404


def test_get_and_put_in_a_missing_bucket_are_no_such_bucket(s3):
    assert refused(s3.get_object, Bucket="no-bucket-here", Key="k")[:2] == (404, "NoSuchBucket")
    assert refused(s3.put_object, Bucket="no-bucket-here", Key="k",
                   Body=b"x")[:2] == (404, "NoSuchBucket")
    assert bucket_names(s3) == []


def test_delete_object_removes_it(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doomed", Body=b"bye")
    deleted = s3.delete_object(Bucket=bucket, Key="doomed")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert refused(s3.get_object, Bucket=bucket, Key="doomed")[:2] == (404, "NoSuchKey")
    assert keys_in(s3, bucket) == []


def test_deleting_a_missing_key_is_still_204(s3, bucket):
    deleted = s3.delete_object(Bucket=bucket, Key="never-was")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_objects_reports_every_key_it_was_asked_to_delete(s3, bucket):
    for key in ("one", "two", "dir/three", "with space+plus"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    asked = ["one", "dir/three", "with space+plus", "never-existed"]
    reply = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in asked]})
    # S3 reports a key that was not there as deleted too.
    assert sorted(entry["Key"] for entry in reply["Deleted"]) == sorted(asked)
    assert reply.get("Errors", []) == []
    assert keys_in(s3, bucket) == ["two"]


def test_delete_objects_quiet_reports_only_errors(s3, bucket):
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b".")
    reply = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "c"}],
                                                     "Quiet": True})
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert reply.get("Deleted", []) == [] and reply.get("Errors", []) == []
    assert keys_in(s3, bucket) == ["b"]


# ===== ranges =====
@pytest.fixture
def thousand(s3, bucket):
    """A 1000-byte object 'r' and its body."""
    body = randbytes(1000, seed=7)
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    return body


def test_range_first_to_last_byte_is_206_with_content_range(s3, bucket, thousand):
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 10-19/1000"
    assert got["ContentLength"] == 10
    assert got["Body"].read() == thousand[10:20]
    assert got["ETag"] == etag_of(thousand)


def test_range_from_an_offset_to_the_end(s3, bucket, thousand):
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=990-")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 990-999/1000"
    assert got["Body"].read() == thousand[990:]


def test_range_of_the_last_n_bytes(s3, bucket, thousand):
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=-7")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 993-999/1000"
    assert got["Body"].read() == thousand[-7:]


def test_a_range_past_the_end_is_cut_at_the_last_byte(s3, bucket, thousand):
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=995-5000")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 995-999/1000"
    assert got["Body"].read() == thousand[995:]


def test_a_range_starting_past_the_end_is_invalid_range(s3, bucket, thousand):
    status, code, _ = refused(s3.get_object, Bucket=bucket, Key="r", Range="bytes=1000-1100")
    assert (status, code) == (416, "InvalidRange")


# ===== conditional requests =====
@pytest.fixture
def conditional(s3, bucket):
    """An object 'c': (its ETag, its Last-Modified)."""
    s3.put_object(Bucket=bucket, Key="c", Body=b"conditional body")
    head = s3.head_object(Bucket=bucket, Key="c")
    return head["ETag"], head["LastModified"]


def test_if_match_with_the_etag_gets_the_object_and_another_is_412(s3, bucket, conditional):
    etag, _ = conditional
    got = s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)
    assert got["Body"].read() == b"conditional body"
    status, code, _ = refused(s3.get_object, Bucket=bucket, Key="c", IfMatch=etag_of(b"other"))
    assert (status, code) == (412, "PreconditionFailed")


def test_if_none_match_with_the_etag_is_304_and_another_gets_the_object(s3, bucket, conditional):
    etag, _ = conditional
    assert refused(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag)[0] == 304
    assert refused(s3.head_object, Bucket=bucket, Key="c", IfNoneMatch=etag)[0] == 304
    got = s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag_of(b"other"))
    assert got["Body"].read() == b"conditional body"


def test_if_modified_since(s3, bucket, conditional):
    _, modified = conditional
    # HTTP dates have whole seconds, like Last-Modified: not modified since its own Last-Modified.
    assert refused(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=modified)[0] == 304
    earlier = modified - datetime.timedelta(days=1)
    got = s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=earlier)
    assert got["Body"].read() == b"conditional body"


def test_if_unmodified_since(s3, bucket, conditional):
    _, modified = conditional
    got = s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=modified)
    assert got["Body"].read() == b"conditional body"
    earlier = modified - datetime.timedelta(days=1)
    status, code, _ = refused(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=earlier)
    assert (status, code) == (412, "PreconditionFailed")


def test_etag_conditions_win_over_date_conditions(s3, bucket, conditional):
    # As S3 documents for GetObject: If-Match true + If-Unmodified-Since false -> 200;
    # If-None-Match false + If-Modified-Since true -> 304.
    etag, modified = conditional
    earlier = modified - datetime.timedelta(days=1)
    got = s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=earlier)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert refused(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag,
                   IfModifiedSince=earlier)[0] == 304


# ===== integrity =====
def test_a_wrong_content_md5_is_bad_digest_and_stores_nothing(s3, bucket):
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    status, code, _ = refused(s3.put_object, Bucket=bucket, Key="md5", Body=b"the real body",
                              ContentMD5=wrong)
    assert (status, code) == (400, "BadDigest")
    assert refused(s3.head_object, Bucket=bucket, Key="md5")[0] == 404
    right = base64.b64encode(hashlib.md5(b"the real body").digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=b"the real body", ContentMD5=right)
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == b"the real body"


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_an_x_amz_checksum_is_verified(s3, bucket, algorithm):
    body = randbytes(70_000, seed=3)
    # The header value given directly (botocore 1.29 then sends no Content-MD5).
    s3.put_object(Bucket=bucket, Key="sum", Body=body,
                  **{f"Checksum{algorithm}": checksum(algorithm, body)})
    assert s3.get_object(Bucket=bucket, Key="sum")["Body"].read() == body
    status, code, _ = refused(s3.put_object, Bucket=bucket, Key="sum", Body=b"a different body",
                              **{f"Checksum{algorithm}": checksum(algorithm, body)})
    assert (status, code) == (400, "BadDigest")
    # The refused put changed nothing.
    got = s3.get_object(Bucket=bucket, Key="sum")
    assert got["ETag"] == etag_of(body) and got["Body"].read() == body


# ===== ListObjectsV2 =====
def test_list_objects_v2_lists_keys_in_order_with_size_and_etag(s3, bucket):
    bodies = {"b.txt": b"bb", "a.txt": b"a", "c/d.txt": b"dddd", "B.txt": b"upper"}
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    page = s3.list_objects_v2(Bucket=bucket)
    assert page["Name"] == bucket
    assert page["KeyCount"] == 4 and page["IsTruncated"] is False
    assert page["MaxKeys"] == 1000
    assert "NextContinuationToken" not in page
    assert [entry["Key"] for entry in page["Contents"]] == ["B.txt", "a.txt", "b.txt", "c/d.txt"]
    for entry in page["Contents"]:
        assert entry["Size"] == len(bodies[entry["Key"]])
        assert entry["ETag"] == etag_of(bodies[entry["Key"]])
        assert entry["StorageClass"] == "STANDARD"
        assert near_now(entry["LastModified"])


def test_list_objects_v2_of_an_empty_bucket(s3, bucket):
    page = s3.list_objects_v2(Bucket=bucket)
    assert page["KeyCount"] == 0 and page["IsTruncated"] is False
    assert "Contents" not in page


def test_list_objects_v2_with_a_prefix(s3, bucket):
    for key in ("logs/2024/a", "logs/2025/b", "logsX", "other/logs/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b".")
    page = s3.list_objects_v2(Bucket=bucket, Prefix="logs/")
    assert page["Prefix"] == "logs/"
    assert [entry["Key"] for entry in page["Contents"]] == ["logs/2024/a", "logs/2025/b"]
    assert page["KeyCount"] == 2


def test_list_objects_v2_with_a_delimiter_rolls_up_common_prefixes(s3, bucket):
    for key in ("a/1", "a/2", "b/x/1", "b/y", "c", "d/"):
        s3.put_object(Bucket=bucket, Key=key, Body=b".")
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert top["Delimiter"] == "/"
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert [entry["Key"] for entry in top["Contents"]] == ["c"]
    assert top["KeyCount"] == 4  # keys and common prefixes both count
    inside = s3.list_objects_v2(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [p["Prefix"] for p in inside["CommonPrefixes"]] == ["b/x/"]
    assert [entry["Key"] for entry in inside["Contents"]] == ["b/y"]


def test_list_objects_v2_pages_with_max_keys_and_continuation_tokens(s3, bucket):
    keys = [f"key-{i:02d}" for i in range(7)]
    for key in reversed(keys):
        s3.put_object(Bucket=bucket, Key=key, Body=b".")
    seen, token, pages = [], None, []
    while True:
        kwargs = {"Bucket": bucket, "MaxKeys": 3}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        pages.append(page)
        assert page["MaxKeys"] == 3
        if token:
            assert page["ContinuationToken"] == token
        seen += [entry["Key"] for entry in page.get("Contents", [])]
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        token = page["NextContinuationToken"]
        assert token and len(pages) < 5
    assert [page["KeyCount"] for page in pages] == [3, 3, 1]
    assert [page["IsTruncated"] for page in pages] == [True, True, False]
    assert seen == keys


def test_list_objects_v2_counts_a_common_prefix_as_one_toward_max_keys(s3, bucket):
    for key in ("a/1", "a/2", "a/3", "b/1", "c", "d"):
        s3.put_object(Bucket=bucket, Key=key, Body=b".")
    first = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["a/", "b/"]
    assert first.get("Contents", []) == [] and first["IsTruncated"] is True
    assert first["KeyCount"] == 2
    second = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=2,
                                ContinuationToken=first["NextContinuationToken"])
    assert second.get("CommonPrefixes", []) == []
    assert [entry["Key"] for entry in second["Contents"]] == ["c", "d"]
    assert second["IsTruncated"] is False


def test_list_objects_v2_starts_after_a_key(s3, bucket):
    for key in ("a", "b", "ba", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b".")
    page = s3.list_objects_v2(Bucket=bucket, StartAfter="b")
    assert page["StartAfter"] == "b"
    assert [entry["Key"] for entry in page["Contents"]] == ["ba", "c"]
    # StartAfter need not be a key that exists.
    page = s3.list_objects_v2(Bucket=bucket, StartAfter="bz")
    assert [entry["Key"] for entry in page["Contents"]] == ["c"]


# ===== CopyObject =====
def test_copy_object_copies_body_type_and_metadata_by_default(s3, bucket):
    body = randbytes(50_000, seed=11)
    s3.put_object(Bucket=bucket, Key="source", Body=body, ContentType="image/x-test",
                  Metadata={"origin": "source"})
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket,
                                                                   "Key": "source"})
    assert copied["CopyObjectResult"]["ETag"] == etag_of(body)
    assert near_now(copied["CopyObjectResult"]["LastModified"])
    got = s3.get_object(Bucket=bucket, Key="copy")
    assert got["Body"].read() == body
    assert got["ContentType"] == "image/x-test"
    assert got["Metadata"] == {"origin": "source"}
    assert s3.get_object(Bucket=bucket, Key="source")["Body"].read() == body


def test_copy_object_with_replace_takes_the_new_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="source", Body=b"payload", ContentType="text/plain",
                  Metadata={"old": "1", "shared": "old"})
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "source"},
                   MetadataDirective="REPLACE", ContentType="application/json",
                   Metadata={"new": "2", "shared": "new"})
    head = s3.head_object(Bucket=bucket, Key="replaced")
    assert head["Metadata"] == {"new": "2", "shared": "new"}
    assert head["ContentType"] == "application/json"
    assert s3.get_object(Bucket=bucket, Key="replaced")["Body"].read() == b"payload"
    assert s3.head_object(Bucket=bucket, Key="source")["Metadata"] == {"old": "1",
                                                                       "shared": "old"}


def test_copy_object_across_buckets_with_special_character_keys(s3, bucket):
    s3.create_bucket(Bucket="copy-target")
    for index, key in enumerate(SPECIAL_KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=bytes([index]) * 10)
        target = "copied/" + key
        s3.copy_object(Bucket="copy-target", Key=target, CopySource={"Bucket": bucket, "Key": key})
        assert s3.get_object(Bucket="copy-target", Key=target)["Body"].read() == \
            bytes([index]) * 10, key
    assert keys_in(s3, "copy-target") == sorted("copied/" + key for key in SPECIAL_KEYS)


def test_copy_from_a_missing_source_is_no_such_key_or_no_such_bucket(s3, bucket):
    status, code, _ = refused(s3.copy_object, Bucket=bucket, Key="to",
                              CopySource={"Bucket": bucket, "Key": "absent"})
    assert (status, code) == (404, "NoSuchKey")
    status, code, _ = refused(s3.copy_object, Bucket=bucket, Key="to",
                              CopySource={"Bucket": "absent-bucket", "Key": "k"})
    assert (status, code) == (404, "NoSuchBucket")
    assert keys_in(s3, bucket) == []


# ===== multipart upload =====
def upload_parts(s3, bucket, key, upload_id, parts: dict[int, bytes]) -> list[dict]:
    done = []
    for number, body in parts.items():
        reply = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                               Body=body)
        assert reply["ETag"] == etag_of(body), number
        done.append({"PartNumber": number, "ETag": reply["ETag"]})
    return done


def test_a_multipart_upload_assembles_its_parts_under_the_multipart_etag(s3, bucket):
    first, last = randbytes(5 * MiB, seed=1), randbytes(123_457, seed=2)
    created = s3.create_multipart_upload(Bucket=bucket, Key="big/object.bin",
                                         ContentType="application/x-big",
                                         Metadata={"made": "in-parts"})
    assert created["Bucket"] == bucket and created["Key"] == "big/object.bin"
    upload_id = created["UploadId"]
    assert upload_id
    parts = upload_parts(s3, bucket, "big/object.bin", upload_id, {1: first, 2: last})
    # Not visible until completed.
    assert refused(s3.head_object, Bucket=bucket, Key="big/object.bin")[0] == 404
    done = s3.complete_multipart_upload(Bucket=bucket, Key="big/object.bin", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"] == multipart_etag([first, last])
    assert done["Bucket"] == bucket and done["Key"] == "big/object.bin"
    got = s3.get_object(Bucket=bucket, Key="big/object.bin")
    assert got["Body"].read() == first + last
    assert got["ContentLength"] == len(first) + len(last)
    assert got["ETag"] == multipart_etag([first, last])
    assert got["ContentType"] == "application/x-big"
    assert got["Metadata"] == {"made": "in-parts"}
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(e["Key"], e["Size"], e["ETag"]) for e in listed] == [
        ("big/object.bin", len(first) + len(last), multipart_etag([first, last]))]


def test_a_single_small_part_is_a_whole_upload(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="one")["UploadId"]
    parts = upload_parts(s3, bucket, "one", upload_id, {1: b"only part"})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="one", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"] == multipart_etag([b"only part"])
    assert s3.get_object(Bucket=bucket, Key="one")["Body"].read() == b"only part"


def test_part_numbers_may_skip_and_only_the_listed_parts_are_assembled(s3, bucket):
    first, third, unused = randbytes(5 * MiB, seed=4), b"tail", b"never listed"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="gaps")["UploadId"]
    parts = upload_parts(s3, bucket, "gaps", upload_id, {1: first, 3: third, 9: unused})
    listed = [part for part in parts if part["PartNumber"] != 9]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="gaps", UploadId=upload_id,
                                        MultipartUpload={"Parts": listed})
    assert done["ETag"] == multipart_etag([first, third])
    assert s3.get_object(Bucket=bucket, Key="gaps")["Body"].read() == first + third


def test_uploading_a_part_number_again_replaces_the_part(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="again")["UploadId"]
    upload_parts(s3, bucket, "again", upload_id, {1: b"stale part"})
    parts = upload_parts(s3, bucket, "again", upload_id, {1: b"fresh part"})
    s3.complete_multipart_upload(Bucket=bucket, Key="again", UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key="again")["Body"].read() == b"fresh part"


def test_a_part_under_5_mib_before_the_last_is_entity_too_small(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    parts = upload_parts(s3, bucket, "small", upload_id,
                         {1: randbytes(5 * MiB - 1, seed=5), 2: b"last"})
    status, code, _ = refused(s3.complete_multipart_upload, Bucket=bucket, Key="small",
                              UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert (status, code) == (400, "EntityTooSmall")
    assert refused(s3.head_object, Bucket=bucket, Key="small")[0] == 404
    # The upload is still there to abort.
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="small", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_completing_with_a_part_never_uploaded_or_a_wrong_etag_is_invalid_part(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="bad-parts")["UploadId"]
    parts = upload_parts(s3, bucket, "bad-parts", upload_id, {1: b"the one part"})
    missing = parts + [{"PartNumber": 2, "ETag": etag_of(b"not uploaded")}]
    status, code, _ = refused(s3.complete_multipart_upload, Bucket=bucket, Key="bad-parts",
                              UploadId=upload_id, MultipartUpload={"Parts": missing})
    assert (status, code) == (400, "InvalidPart")
    wrong = [{"PartNumber": 1, "ETag": etag_of(b"something else")}]
    status, code, _ = refused(s3.complete_multipart_upload, Bucket=bucket, Key="bad-parts",
                              UploadId=upload_id, MultipartUpload={"Parts": wrong})
    assert (status, code) == (400, "InvalidPart")
    assert refused(s3.head_object, Bucket=bucket, Key="bad-parts")[0] == 404


def test_an_aborted_upload_is_no_such_upload(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    parts = upload_parts(s3, bucket, "aborted", upload_id, {1: b"part"})
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert refused(s3.upload_part, Bucket=bucket, Key="aborted", UploadId=upload_id,
                   PartNumber=2, Body=b"late")[:2] == (404, "NoSuchUpload")
    assert refused(s3.complete_multipart_upload, Bucket=bucket, Key="aborted",
                   UploadId=upload_id, MultipartUpload={"Parts": parts})[:2] == (404,
                                                                                "NoSuchUpload")
    assert refused(s3.abort_multipart_upload, Bucket=bucket, Key="aborted",
                   UploadId=upload_id)[:2] == (404, "NoSuchUpload")
    assert keys_in(s3, bucket) == []


def test_an_unknown_upload_id_is_no_such_upload(s3, bucket):
    assert refused(s3.upload_part, Bucket=bucket, Key="k", UploadId="no-such-upload-id",
                   PartNumber=1, Body=b"x")[:2] == (404, "NoSuchUpload")


# ===== authentication =====
def test_unsigned_requests_are_access_denied(gleaner, s3, bucket):
    s3.put_object(Bucket=bucket, Key="private", Body=b"secret")
    status, code, _ = unsigned(gleaner, "GET", f"/{bucket}/private")
    assert (status, code) == (403, "AccessDenied")
    status, code, _ = unsigned(gleaner, "PUT", f"/{bucket}/planted", b"anonymous")
    assert (status, code) == (403, "AccessDenied")
    assert unsigned(gleaner, "GET", "/")[:2] == (403, "AccessDenied")
    assert keys_in(s3, bucket) == ["private"]


def test_a_wrong_secret_is_signature_does_not_match(gleaner, s3, bucket):
    wrong = client_for(gleaner, secret="not-the-secret-at-all")
    status, code, _ = refused(wrong.put_object, Bucket=bucket, Key="k", Body=b"x")
    assert (status, code) == (403, "SignatureDoesNotMatch")
    status, code, _ = refused(wrong.list_objects_v2, Bucket=bucket)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert keys_in(s3, bucket) == []


def test_an_unknown_access_key_is_invalid_access_key_id(gleaner, bucket):
    unknown = client_for(gleaner, key="AKIAUNKNOWNUNKNOWN00")
    status, code, _ = refused(unknown.list_buckets)
    assert (status, code) == (403, "InvalidAccessKeyId")


def test_a_presigned_get_works_and_a_tampered_one_does_not(gleaner, s3, bucket):
    s3.put_object(Bucket=bucket, Key="shared file.txt", Body=b"presigned content")
    presigner = client_for(gleaner, signature_version="s3v4")
    url = presigner.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "shared file.txt"}, ExpiresIn=60)
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"presigned content"
    tampered = url.replace("shared%20file.txt", "other.txt")
    assert tampered != url
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(tampered, timeout=30)
    assert error.value.code == 403
    assert ElementTree.fromstring(error.value.read()).findtext("Code") == "SignatureDoesNotMatch"


# ===== --s3-auto-create-buckets =====
def test_without_auto_create_writes_to_a_missing_bucket_are_no_such_bucket(s3):
    assert refused(s3.put_object, Bucket="not-yet", Key="k", Body=b"x")[:2] == (404,
                                                                               "NoSuchBucket")
    assert refused(s3.create_multipart_upload, Bucket="not-yet",
                   Key="k")[:2] == (404, "NoSuchBucket")
    assert bucket_names(s3) == []


@pytest.mark.gleaner_args("--s3-auto-create-buckets")
def test_with_auto_create_a_put_or_multipart_upload_creates_the_bucket(s3):
    s3.put_object(Bucket="made-by-put", Key="dir/first", Body=b"first object")
    assert s3.head_bucket(Bucket="made-by-put")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket="made-by-put", Key="dir/first")["Body"].read() == b"first object"
    upload_id = s3.create_multipart_upload(Bucket="made-by-upload", Key="k")["UploadId"]
    parts = upload_parts(s3, "made-by-upload", "k", upload_id, {1: b"in parts"})
    s3.complete_multipart_upload(Bucket="made-by-upload", Key="k", UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket="made-by-upload", Key="k")["Body"].read() == b"in parts"
    assert bucket_names(s3) == ["made-by-put", "made-by-upload"]


@pytest.mark.gleaner_args("--s3-auto-create-buckets")
def test_with_auto_create_reads_still_find_no_such_bucket(s3):
    assert refused(s3.get_object, Bucket="not-made", Key="k")[:2] == (404, "NoSuchBucket")
    assert refused(s3.list_objects_v2, Bucket="not-made")[:2] == (404, "NoSuchBucket")
    assert refused(s3.delete_object, Bucket="not-made", Key="k")[:2] == (404, "NoSuchBucket")
    assert bucket_names(s3) == []


@pytest.mark.gleaner_args("--s3-auto-create-buckets")
def test_with_auto_create_an_invalid_bucket_name_is_still_refused(s3):
    status, code, _ = refused(s3.put_object, Bucket="Not_Valid", Key="k", Body=b"x")
    assert (status, code) == (400, "InvalidBucketName")
    assert bucket_names(s3) == []


# ===== durability =====
def stored_snapshot(s3, bucket) -> dict:
    """key -> (body, ETag, Last-Modified, Content-Type, metadata) of every object in the bucket."""
    snapshot = {}
    for key in keys_in(s3, bucket):
        got = s3.get_object(Bucket=bucket, Key=key)
        snapshot[key] = (got["Body"].read(), got["ETag"], got["LastModified"],
                         got["ContentType"], got["Metadata"])
    return snapshot


@pytest.mark.parametrize("graceful", [True, False], ids=["sigterm", "kill9"])
def test_acknowledged_objects_and_deletions_survive_a_restart(gleaner, s3, graceful):
    s3.create_bucket(Bucket="durable")
    s3.create_bucket(Bucket="durable-empty")
    s3.create_bucket(Bucket="durable-deleted")
    bodies = {"plain": randbytes(300_000, seed=21), "dir/nested/key": b"nested",
              "spaces ünïcødé +=%.bin": randbytes(4096, seed=22), "empty": b""}
    for index, (key, body) in enumerate(bodies.items()):
        s3.put_object(Bucket="durable", Key=key, Body=body, ContentType=f"application/x-{index}",
                      Metadata={"index": str(index)})
    first, last = randbytes(5 * MiB, seed=23), randbytes(1000, seed=24)
    upload_id = s3.create_multipart_upload(Bucket="durable", Key="multipart")["UploadId"]
    parts = upload_parts(s3, "durable", "multipart", upload_id, {1: first, 2: last})
    s3.complete_multipart_upload(Bucket="durable", Key="multipart", UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    s3.put_object(Bucket="durable", Key="deleted-before", Body=b"gone")
    s3.delete_object(Bucket="durable", Key="deleted-before")
    s3.delete_bucket(Bucket="durable-deleted")
    before = stored_snapshot(s3, "durable")
    assert sorted(before) == sorted([*bodies, "multipart"])
    assert before["multipart"][0] == first + last
    assert before["multipart"][1] == multipart_etag([first, last])

    stored = gleaner.data_dir / "s3"
    assert stored.is_dir()
    on_disk = sum(path.stat().st_size for path in stored.rglob("*") if path.is_file())
    assert on_disk >= sum(len(body) for body in bodies.values()) + len(first) + len(last)

    gleaner.restart(graceful=graceful)

    assert bucket_names(s3) == ["durable", "durable-empty"]
    after = stored_snapshot(s3, "durable")
    assert after == before
    for key, body in bodies.items():
        assert after[key][0] == body and after[key][1] == etag_of(body), key
    assert refused(s3.get_object, Bucket="durable", Key="deleted-before")[:2] == (404,
                                                                                 "NoSuchKey")
    assert s3.list_objects_v2(Bucket="durable-empty")["KeyCount"] == 0


def test_an_in_progress_multipart_upload_survives_kill_9_and_completes(gleaner, s3, bucket):
    first, second = randbytes(5 * MiB, seed=31), randbytes(777_777, seed=32)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="resumed",
                                           Metadata={"resumed": "yes"})["UploadId"]
    parts = upload_parts(s3, bucket, "resumed", upload_id, {1: first})
    gleaner.restart(graceful=False)
    parts += upload_parts(s3, bucket, "resumed", upload_id, {2: second})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="resumed", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"] == multipart_etag([first, second])
    got = s3.get_object(Bucket=bucket, Key="resumed")
    assert got["Body"].read() == first + second
    assert got["Metadata"] == {"resumed": "yes"}
    gleaner.restart(graceful=False)
    got = s3.get_object(Bucket=bucket, Key="resumed")
    assert got["Body"].read() == first + second
    assert got["ETag"] == multipart_etag([first, second])


# ===== the AWS CLI v2 =====
def cli_ok(aws, *args, timeout: float = 60):
    rc, out, err = aws(*args, timeout=timeout)
    assert rc == 0, f"aws {' '.join(map(str, args))} -> rc={rc}\nstdout: {out}\nstderr: {err}"
    return out


LS_OBJECT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +(\d+) (.+)$")
LS_PREFIX = re.compile(r"^ +PRE (.+)$")
LS_BUCKET = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (.+)$")


def test_cli_cp_of_a_20_mib_file_goes_up_in_parts_and_comes_back_identical(aws, tmp_path):
    assert "make_bucket: cli-bucket" in cli_ok(aws, "s3", "mb", "s3://cli-bucket")
    body = randbytes(20 * MiB, seed=41)
    source = tmp_path / "twenty.bin"
    source.write_bytes(body)
    cli_ok(aws, "s3", "cp", source, "s3://cli-bucket/data/twenty.bin", "--no-progress")
    # The CLI splits above 8 MiB into 8 MiB parts: 8 + 8 + 4.
    head = cli_ok(aws, "s3api", "head-object", "--bucket", "cli-bucket", "--key",
                  "data/twenty.bin")
    assert head["ContentLength"] == 20 * MiB
    assert head["ETag"] == multipart_etag([body[:8 * MiB], body[8 * MiB:16 * MiB],
                                           body[16 * MiB:]])
    back = tmp_path / "back.bin"
    cli_ok(aws, "s3", "cp", "s3://cli-bucket/data/twenty.bin", back, "--no-progress")
    assert back.read_bytes() == body


def write_tree(root: Path) -> dict[str, bytes]:
    files = {
        "root.txt": b"at the top\n",
        "a/one.txt": b"one\n",
        "a/b/two.bin": randbytes(100_000, seed=51),
        "a/b/c/three with space.txt": b"three\n",
        "a/b/c/d/four+plus=eq.txt": "vier ✓\n".encode(),
        "z/empty": b"",
    }
    an_hour_ago = datetime.datetime.now().timestamp() - 3600
    for relative, body in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        # Older than anything the server stamps, so a later sync sees them as unchanged.
        os.utime(path, (an_hour_ago, an_hour_ago))
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in root.rglob("*") if path.is_file()}


def test_cli_sync_uploads_a_nested_tree_and_downloads_it_back(aws, s3, tmp_path):
    s3.create_bucket(Bucket="sync-bucket")
    tree = tmp_path / "tree"
    files = write_tree(tree)
    out = cli_ok(aws, "s3", "sync", tree, "s3://sync-bucket/backup", "--no-progress")
    assert len([line for line in out.splitlines() if line.startswith("upload:")]) == len(files)
    assert sorted(keys_in(s3, "sync-bucket")) == sorted(f"backup/{name}" for name in files)
    for name, body in files.items():
        assert s3.get_object(Bucket="sync-bucket", Key=f"backup/{name}")["Body"].read() == body

    down = tmp_path / "down"
    cli_ok(aws, "s3", "sync", "s3://sync-bucket/backup", down, "--no-progress")
    assert read_tree(down) == files

    # Only what changed goes up again.
    (tree / "a" / "one.txt").write_bytes(b"one, changed and longer\n")
    out = cli_ok(aws, "s3", "sync", tree, "s3://sync-bucket/backup", "--no-progress")
    uploads = [line for line in out.splitlines() if line.startswith("upload:")]
    assert len(uploads) == 1 and "a/one.txt" in uploads[0], out
    assert s3.get_object(Bucket="sync-bucket",
                         Key="backup/a/one.txt")["Body"].read() == b"one, changed and longer\n"


def test_cli_ls_shows_prefixes_and_with_recursive_every_key(aws, s3):
    s3.create_bucket(Bucket="ls-bucket")
    s3.create_bucket(Bucket="ls-other")
    objects = {"top.txt": b"top level", "dir/a.txt": b"a", "dir/sub/b.txt": b"bee bee"}
    for key, body in objects.items():
        s3.put_object(Bucket="ls-bucket", Key=key, Body=body)

    buckets = [LS_BUCKET.match(line) for line in cli_ok(aws, "s3", "ls").splitlines()]
    assert all(buckets) and sorted(m.group(1) for m in buckets) == ["ls-bucket", "ls-other"]

    lines = cli_ok(aws, "s3", "ls", "s3://ls-bucket/").splitlines()
    prefixes = [LS_PREFIX.match(line).group(1) for line in lines if LS_PREFIX.match(line)]
    listed = [LS_OBJECT.match(line).groups() for line in lines if LS_OBJECT.match(line)]
    assert len(prefixes) + len(listed) == len(lines), lines
    assert prefixes == ["dir/"]
    assert listed == [("9", "top.txt")]

    lines = cli_ok(aws, "s3", "ls", "s3://ls-bucket", "--recursive").splitlines()
    listed = [LS_OBJECT.match(line).groups() for line in lines if LS_OBJECT.match(line)]
    assert len(listed) == len(lines), lines
    assert listed == [(str(len(objects[key])), key) for key in sorted(objects)]

    lines = cli_ok(aws, "s3", "ls", "s3://ls-bucket/dir/").splitlines()
    assert [line.strip() for line in lines if LS_PREFIX.match(line)] == ["PRE sub/"]
    assert [LS_OBJECT.match(line).group(2) for line in lines if LS_OBJECT.match(line)] == [
        "a.txt"]


def test_cli_rm_recursive_empties_a_prefix_and_rb_needs_an_empty_bucket(aws, s3):
    s3.create_bucket(Bucket="rm-bucket")
    for key in ("keep.txt", "dir/a", "dir/b c", "dir/sub/d", "dirt.txt"):
        s3.put_object(Bucket="rm-bucket", Key=key, Body=b".")
    out = cli_ok(aws, "s3", "rm", "s3://rm-bucket/dir/", "--recursive")
    assert len([line for line in out.splitlines() if line.startswith("delete:")]) == 3, out
    assert keys_in(s3, "rm-bucket") == ["dirt.txt", "keep.txt"]

    rc, _, err = aws("s3", "rb", "s3://rm-bucket")
    assert rc != 0 and "BucketNotEmpty" in err, err
    cli_ok(aws, "s3", "rm", "s3://rm-bucket", "--recursive")
    assert keys_in(s3, "rm-bucket") == []
    cli_ok(aws, "s3", "rb", "s3://rm-bucket")
    assert bucket_names(s3) == []


def test_cli_s3api_put_get_head_list_delete(aws, s3, tmp_path):
    cli_ok(aws, "s3api", "create-bucket", "--bucket", "api-bucket")
    body = randbytes(12_345, seed=61)
    source = tmp_path / "in.bin"
    source.write_bytes(body)
    put = cli_ok(aws, "s3api", "put-object", "--bucket", "api-bucket", "--key", "x/in.bin",
                 "--body", source, "--content-type", "application/x-api",
                 "--metadata", "from=cli,kind=s3api")
    assert put["ETag"] == etag_of(body)
    target = tmp_path / "out.bin"
    got = cli_ok(aws, "s3api", "get-object", "--bucket", "api-bucket", "--key", "x/in.bin",
                 target)
    assert target.read_bytes() == body
    assert got["ContentLength"] == len(body) and got["ETag"] == etag_of(body)
    assert got["Metadata"] == {"from": "cli", "kind": "s3api"}
    assert got["ContentType"] == "application/x-api"
    head = cli_ok(aws, "s3api", "head-object", "--bucket", "api-bucket", "--key", "x/in.bin")
    assert head["ContentLength"] == len(body)
    listed = cli_ok(aws, "s3api", "list-objects-v2", "--bucket", "api-bucket")
    assert [(e["Key"], e["Size"]) for e in listed["Contents"]] == [("x/in.bin", len(body))]
    cli_ok(aws, "s3api", "delete-object", "--bucket", "api-bucket", "--key", "x/in.bin")
    rc, _, err = aws("s3api", "get-object", "--bucket", "api-bucket", "--key", "x/in.bin",
                     tmp_path / "gone.bin")
    assert rc != 0 and "(NoSuchKey)" in err, err
    rc, _, err = aws("s3api", "head-bucket", "--bucket", "no-such-api-bucket")
    assert rc != 0 and "404" in err, err
