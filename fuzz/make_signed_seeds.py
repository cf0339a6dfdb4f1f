#!/usr/bin/env python3
"""Writes the seeds of the sigv4 and aws_chunked fuzz targets that carry good signatures
(fuzz/corpus/sigv4/, fuzz/corpus/aws_chunked/): AWS's documented example key, signed at
2015-08-30T12:36:00Z, the time the targets verify at. Run it again when the canonical form changes."""
import hashlib, hmac, urllib.parse, os
KEY_ID = "AKIDEXAMPLE"; SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
DATE = "20150830T123600Z"; DAY = "20150830"
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
def h(b): return hashlib.sha256(b).hexdigest()
def mac(k, m): return hmac.new(k, m.encode() if isinstance(m, str) else m, hashlib.sha256).digest()
def key(service):
    k = mac(("AWS4" + SECRET).encode(), DAY); k = mac(k, "us-east-1"); k = mac(k, service); return mac(k, "aws4_request")
def enc(s, keep_slash):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)
def canon_query(q):
    pairs = []
    for part in q.split("&") if q else []:
        k, _, v = part.partition("=")
        pairs.append((enc(urllib.parse.unquote(k), False), enc(urllib.parse.unquote(v), False)))
    return "&".join(k + "=" + v for k, v in sorted(pairs))
def sign(method, path, query, headers, body, service, payload_hash=None):
    headers = dict(headers); headers["x-amz-date"] = DATE
    if payload_hash is None: payload_hash = h(body)
    names = sorted(headers)
    canonical = "\n".join([method, enc(path, True), canon_query(query),
                           "".join(f"{n}:{headers[n].strip()}\n" for n in names), ";".join(names), payload_hash])
    scope = f"{DAY}/us-east-1/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", DATE, scope, h(canonical.encode())])
    sig = hmac.new(key(service), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={KEY_ID}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    return headers, sig
def text(method, path, query, headers, body):
    t = method + " " + path + ("?" + query if query else "") + "\n"
    t += "".join(f"{n}: {v}\n" for n, v in headers.items()) + "\n"
    return t.encode() + body
def write(target, name, data):
    os.makedirs(f"{out}/{target}", exist_ok=True)
    open(f"{out}/{target}/{name}", "wb").write(data)

# Batch rest-json
body = b'{"jobs": ["a"]}'
hd, _ = sign("POST", "/v1/describejobs", "", {"host": "127.0.0.1:8686", "content-type": "application/json"}, body, "batch")
write("sigv4", "batch_describejobs", text("POST", "/v1/describejobs", "", hd, body))
# EC2 query, form body
body = b"Action=DescribeInstances&Version=2016-11-15"
hd, _ = sign("POST", "/", "", {"host": "127.0.0.1:8686", "content-type": "application/x-www-form-urlencoded; charset=utf-8"}, body, "ec2")
write("sigv4", "ec2_form", text("POST", "/", "", hd, body))
# JSON 1.1 with X-Amz-Content-Sha256
body = b'{"clusters": []}'
hd, _ = sign("POST", "/", "", {"host": "127.0.0.1:8686", "x-amz-target": "AmazonEC2ContainerServiceV20141113.DescribeClusters", "content-type": "application/x-amz-json-1.1", "x-amz-content-sha256": h(body)}, body, "ecs")
write("sigv4", "ecs_content_sha256", text("POST", "/", "", hd, body))
# GET with a query, tags path with an encoded ARN
path = "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A123456789012%3Ajob-queue%2Fq"
hd, _ = sign("GET", path, "", {"host": "127.0.0.1:8686"}, b"", "batch")
write("sigv4", "get_tags_encoded_path", text("GET", path, "", hd, b""))
# presigned query
q = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fbatch%2Faws4_request"
     "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&after=3")
canonical = "\n".join(["GET", "/gleaner/v1/events", canon_query(q), "host:127.0.0.1:8686\n", "host", h(b"")])
to_sign = "\n".join(["AWS4-HMAC-SHA256", DATE, f"{DAY}/us-east-1/batch/aws4_request", h(canonical.encode())])
sig = hmac.new(key("batch"), to_sign.encode(), hashlib.sha256).hexdigest()
write("sigv4", "presigned_events", text("GET", "/gleaner/v1/events", q + "&X-Amz-Signature=" + sig, {"host": "127.0.0.1:8686"}, b""))
# aws-chunked, signed streaming payload
def chunks(seed, service, pieces, k):
    prev = seed; out = b""
    for p in pieces + [b""]:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", DATE, f"{DAY}/us-east-1/{service}/aws4_request", prev, h(b""), h(p)])
        prev = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        out += b"%x;chunk-signature=%s\r\n" % (len(p), prev.encode()) + p + b"\r\n"
    return out
pieces = [b'{"jobs": ', b'["a"]}']
decoded = b"".join(pieces)
hdrs = {"host": "127.0.0.1:8686", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(decoded)),
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}
hd, seed = sign("POST", "/v1/describejobs", "", hdrs, b"", "batch", payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
write("sigv4", "streaming_signed_chunks", text("POST", "/v1/describejobs", "", hd, chunks(seed, "batch", pieces, key("batch"))))
hdrs = {"host": "127.0.0.1:8686", "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-trailer": "x-amz-checksum-crc32"}
body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:abc=\r\n\r\n"
hd, _ = sign("POST", "/v1/describejobs", "", hdrs, body, "batch", payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
write("sigv4", "streaming_unsigned_trailer", text("POST", "/v1/describejobs", "", hd, body))
write("sigv4", "unsigned", text("POST", "/v1/describejobs", "", {"host": "x"}, b"{}"))
write("sigv4", "incomplete", text("GET", "/", "", {"authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/batch, SignedHeaders=host", "x-amz-date": "20150830T123600Z"}, b""))
# aws_chunked target: seed signature "seed", scope batch
write("aws_chunked", "signed", b"signed\n" + chunks("seed", "batch", [b"hello ", b"world"], key("batch")))
write("aws_chunked", "unsigned_trailer", b"unsigned\n5\r\nhello\r\n0\r\nx-amz-checksum-crc32:abc=\r\n\r\n")
write("aws_chunked", "unsigned_many", b"unsigned\n1\r\na\r\n10\r\n0123456789abcdef\r\nA;ext=1\r\n0123456789\r\n0\r\n\r\n")
