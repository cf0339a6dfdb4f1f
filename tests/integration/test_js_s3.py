"""gleaner's S3 API as seen by the AWS SDK for JavaScript v3 (@aws-sdk/client-s3, installed by
scripts/test.sh with npm ci into tests/js), driven through tests/js/s3_client.mjs.

What this SDK version sends (@aws-sdk/client-s3 3.1138.0; its flexible checksums now live in
@aws-sdk/checksums 3.1002.7, which took over from @aws-sdk/middleware-flexible-checksums; see
dist-es/submodules/flexible-checksums/flexibleChecksumsMiddleware.js), checked by pointing the
script at a server that only recorded the requests:
  * requestChecksumCalculation defaults to WHEN_SUPPORTED, so PutObject (and UploadPart) always
    carries a checksum, CRC32 by default, plus `x-amz-sdk-checksum-algorithm: CRC32`.
  * Where that checksum goes depends on the *body type*, not on http vs https:
      - a string / Buffer / Uint8Array body (what this script sends by default): a plain
        `x-amz-checksum-crc32: <base64>` header, with Content-Length and a real SHA-256 of the
        payload in x-amz-content-sha256 (the signer hashes any buffered body, on http and https);
      - a stream body (fs.createReadStream, Readable; this script's "BodyAsStream": true):
        aws-chunked, `Content-Encoding: aws-chunked`, `Transfer-Encoding: chunked` (no
        Content-Length), `x-amz-decoded-content-length: N`,
        `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`,
        `x-amz-trailer: x-amz-checksum-crc32`, and a body of `<hex size>\\r\\n<data>\\r\\n0\\r\\n
        x-amz-checksum-crc32:<base64>\\r\\n\\r\\n` inside the HTTP chunking.
  * A checksum the caller gives (ChecksumCRC32 in the input) is sent as it is: the middleware
    steps aside when any x-amz-checksum-* header is already there.
  * Every request carries `?x-id=<Operation>` in the query (PutObject, GetObject, ...), which the
    server must ignore; keys are percent-encoded per segment (`a b+=%` -> `a%20b%2B%3D%25`).
  * GetObject/HeadObject send `x-amz-checksum-mode: ENABLED` (responseChecksumValidation
    WHEN_SUPPORTED): when the reply carries an x-amz-checksum-<algorithm> header that is not a
    composite `...-N` one, the SDK checks the body against it and fails the call on a mismatch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import zlib

import pytest

from gleaner_testlib import ACCESS_KEY_ID, REPO, SECRET_ACCESS_KEY

JS = REPO / "tests" / "js"
BUCKET = "js-bucket"


def js(gleaner, operation, request=None, secret=SECRET_ACCESS_KEY, key=ACCESS_KEY_ID):
    node = shutil.which("node") or "/usr/bin/node"
    # The SDK's own defaults, whatever the machine's environment says about checksums
    # (gleaner_testlib already points AWS_CONFIG_FILE and the credentials file at /dev/null).
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("AWS_REQUEST_CHECKSUM_CALCULATION",
                                   "AWS_RESPONSE_CHECKSUM_VALIDATION")}
    result = subprocess.run(
        [node, str(JS / "s3_client.mjs"), gleaner.endpoint, key, secret, operation,
         json.dumps(request or {})], capture_output=True, text=True, timeout=60, cwd=JS,
        env=environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def etag_of(body: bytes) -> str:
    return '"%s"' % hashlib.md5(body).hexdigest()


def crc32_of(body: bytes) -> str:
    return base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()


@pytest.fixture(autouse=True)
def _sdk_installed():
    if not (JS / "node_modules" / "@aws-sdk" / "client-s3").is_dir():
        pytest.fail("the JavaScript SDK for S3 is not installed: run `npm ci --prefix tests/js` "
                    "(scripts/test.sh does)")




def test_put_object_with_the_sdks_default_crc32_then_get_it_back(gleaner, s3):
    created = js(gleaner, "CreateBucket", {"Bucket": BUCKET})
    assert "error" not in created, created
    text = "hello from the JS SDK ✓\n" * 40
    body = text.encode()
    put = js(gleaner, "PutObject", {"Bucket": BUCKET, "Key": "dir/hello world+1.txt",
                                    "Body": text, "ContentType": "text/plain; charset=utf-8",
                                    "Metadata": {"from": "js"}})
    assert "error" not in put, put
    assert put["output"]["ETag"] == etag_of(body)
    # S3 echoes the checksum it verified; if gleaner does, it must be the SDK's CRC32.
    assert put["output"].get("ChecksumCRC32", crc32_of(body)) == crc32_of(body)
    got = js(gleaner, "GetObject", {"Bucket": BUCKET, "Key": "dir/hello world+1.txt"})
    assert "error" not in got, got
    assert got["output"]["Body"] == text
    assert got["output"]["ETag"] == etag_of(body)
    assert got["output"]["ContentLength"] == len(body)
    assert got["output"]["ContentType"] == "text/plain; charset=utf-8"
    assert got["output"]["Metadata"] == {"from": "js"}
    # The same bytes as another client sees them.
    assert s3.get_object(Bucket=BUCKET, Key="dir/hello world+1.txt")["Body"].read() == body


def test_a_wrong_crc32_from_the_js_sdk_is_bad_digest(gleaner, s3, bucket):
    refused = js(gleaner, "PutObject", {"Bucket": bucket, "Key": "bad", "Body": "the body",
                                        "ChecksumCRC32": crc32_of(b"another body")})
    assert (refused.get("error"), refused.get("status")) == ("BadDigest", 400), refused
    missing = js(gleaner, "GetObject", {"Bucket": bucket, "Key": "bad"})
    assert missing.get("error") == "NoSuchKey", missing


def test_a_streamed_put_object_goes_aws_chunked_with_a_crc32_trailer(gleaner, s3, bucket):
    text = "streamed through aws-chunked\n" * 500
    put = js(gleaner, "PutObject", {"Bucket": bucket, "Key": "streamed", "Body": text,
                                    "BodyAsStream": True})
    assert "error" not in put, put
    assert put["output"]["ETag"] == etag_of(text.encode())
    got = s3.get_object(Bucket=bucket, Key="streamed")
    assert got["Body"].read() == text.encode()
    assert got["ContentLength"] == len(text.encode())
    # aws-chunked was only how the body travelled.
    assert "aws-chunked" not in got.get("ContentEncoding", "")


def test_head_object_through_the_js_sdk(gleaner, s3, bucket):
    body = b"\x00\x01binary\xff" * 100
    s3.put_object(Bucket=bucket, Key="head me", Body=body, ContentType="application/x-js",
                  Metadata={"shade": "green"})
    head = js(gleaner, "HeadObject", {"Bucket": bucket, "Key": "head me"})
    assert "error" not in head, head
    output = head["output"]
    assert output["ContentLength"] == len(body)
    assert output["ETag"] == etag_of(body)
    assert output["ContentType"] == "application/x-js"
    assert output["Metadata"] == {"shade": "green"}
    assert "Body" not in output
    missing = js(gleaner, "HeadObject", {"Bucket": bucket, "Key": "absent"})
    assert (missing.get("error"), missing.get("status")) == ("NotFound", 404), missing


def test_list_objects_v2_through_the_js_sdk(gleaner, s3, bucket):
    keys = ["a/1.txt", "a/2 two.txt", "b/ünï/3", "c=d+e%f", "top"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    everything = js(gleaner, "ListObjectsV2", {"Bucket": bucket})
    assert "error" not in everything, everything
    output = everything["output"]
    assert [entry["Key"] for entry in output["Contents"]] == sorted(keys)
    assert [entry["Size"] for entry in output["Contents"]] == [len(k.encode())
                                                               for k in sorted(keys)]
    assert output["KeyCount"] == len(keys) and output["IsTruncated"] is False
    rolled = js(gleaner, "ListObjectsV2", {"Bucket": bucket, "Delimiter": "/"})["output"]
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/", "b/"]
    assert [entry["Key"] for entry in rolled["Contents"]] == ["c=d+e%f", "top"]
    paged = js(gleaner, "ListObjectsV2", {"Bucket": bucket, "Prefix": "a/", "MaxKeys": 1})
    paged = paged["output"]
    assert [entry["Key"] for entry in paged["Contents"]] == ["a/1.txt"]
    assert paged["IsTruncated"] is True and paged["NextContinuationToken"]
    rest = js(gleaner, "ListObjectsV2", {"Bucket": bucket, "Prefix": "a/",
                                         "ContinuationToken": paged["NextContinuationToken"]})
    assert [entry["Key"] for entry in rest["output"]["Contents"]] == ["a/2 two.txt"]


def test_delete_object_through_the_js_sdk(gleaner, s3, bucket):
    s3.put_object(Bucket=bucket, Key="to delete", Body=b"bye")
    deleted = js(gleaner, "DeleteObject", {"Bucket": bucket, "Key": "to delete"})
    assert "error" not in deleted and deleted["status"] == 204, deleted
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_no_such_key_through_the_js_sdk(gleaner, bucket):
    missing = js(gleaner, "GetObject", {"Bucket": bucket, "Key": "never/was.txt"})
    assert (missing.get("error"), missing.get("status")) == ("NoSuchKey", 404), missing
    no_bucket = js(gleaner, "GetObject", {"Bucket": "no-such-js-bucket", "Key": "k"})
    assert (no_bucket.get("error"), no_bucket.get("status")) == ("NoSuchBucket", 404), no_bucket


def test_a_wrong_secret_from_the_js_sdk_is_signature_does_not_match(gleaner, s3, bucket):
    refused = js(gleaner, "PutObject", {"Bucket": bucket, "Key": "k", "Body": "x"},
                 secret="not-the-secret")
    assert (refused.get("error"), refused.get("status")) == ("SignatureDoesNotMatch", 403), \
        refused
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
