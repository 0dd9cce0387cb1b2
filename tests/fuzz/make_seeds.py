#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (docs/fuzzing.md) into
tests/fuzz/corpus/<target>/: valid and edge-case inputs in each target's
input format, built from the real wire formats. The seeds are committed;
run this again only to change them (it replaces each target's directory).
The public keys among fuzz_jwt's seeds are new ones from the openssl
command each time.
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])  # RFC 6455 section 5.7's key
UUID = "550e8400-e29b-41d4-a716-446655440000"


def client_frame(first, payload, masked=True, length_form=None):
    """One client frame: `first` is FIN, RSV and opcode; masked with MASK."""
    size = len(payload)
    form = length_form or (7 if size < 126 else 16 if size < 65536 else 64)
    head = bytes([first])
    bit = 0x80 if masked else 0
    if form == 7:
        head += bytes([bit | size])
    elif form == 16:
        head += bytes([bit | 126]) + struct.pack(">H", size)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", size)
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def reader_input(stream, limit=1024, chunks=()):
    """fuzz_websocket_reader's input: limit, chunk sizes, then the stream."""
    assert len(chunks) <= 7
    return struct.pack(">HB", limit, len(chunks)) + bytes(c - 1 for c in chunks) + stream


def text(s):
    return client_frame(0x81, s.encode())


def close(code, reason=b""):
    return client_frame(0x88, struct.pack(">H", code) + reason)


def websocket_reader_seeds():
    publish = json.dumps({"type": "publish", "topic": "orders", "request_id": "r1",
                          "message": {"id": UUID, "payload": {"price": 99.5}}}).encode()
    return {
        "rfc6455_hello": reader_input(bytes.fromhex("818537fa213d7f9f4d5158")),
        "fragmented_with_ping": reader_input(
            client_frame(0x01, b"Hel") + client_frame(0x89, b"p") + client_frame(0x80, b"lo"), chunks=(2, 3)),
        "binary_16bit_length": reader_input(client_frame(0x82, bytes(range(200))), chunks=(7, 64)),
        "publish_request": reader_input(client_frame(0x81, publish), chunks=(1, 2, 3, 5)),
        "utf8_split_across_fragments": reader_input(
            client_frame(0x01, "caf\u00e9".encode()[:4]) + client_frame(0x80, "caf\u00e9".encode()[4:])),
        "pong_and_empty_text": reader_input(client_frame(0x8A, b"") + client_frame(0x81, b"")),
        "close_normal_with_reason": reader_input(close(1000, b"bye") + text("after close")),
        "close_without_code": reader_input(client_frame(0x88, b"")),
        "close_one_byte": reader_input(client_frame(0x88, b"\x03")),
        "close_code_1005": reader_input(close(1005)),
        "close_reason_bad_utf8": reader_input(close(1001, b"\xc3\x28")),
        "too_big_then_close": reader_input(text("0123456789abcdef") + close(1000), limit=8, chunks=(5,)),
        "too_big_64bit_length": reader_input(
            client_frame(0x82, b"", length_form=64)[:2] + struct.pack(">Q", 70000) + MASK + b"x" * 40,
            limit=65535),
        "unmasked": reader_input(client_frame(0x81, b"hi", masked=False)),
        "reserved_bits": reader_input(client_frame(0xC1, b"hi")),
        "unknown_opcode": reader_input(client_frame(0x83, b"hi")),
        "text_bad_utf8": reader_input(client_frame(0x81, b"\xed\xa0\x80")),
        "length_not_shortest": reader_input(client_frame(0x81, b"short", length_form=16)),
        "stray_continuation": reader_input(client_frame(0x80, b"lo")),
        "nested_message": reader_input(client_frame(0x01, b"a") + client_frame(0x81, b"b")),
        "fragmented_ping": reader_input(client_frame(0x09, b"p")),
        "ping_126_bytes": reader_input(client_frame(0x89, b"p" * 126)),
    }


def client_frames_seeds():
    seeds = {
        "subscribe": {"type": "subscribe", "topic": "orders", "client_id": "s1", "last_n": 5, "request_id": "r1"},
        "subscribe_resume": {"type": "subscribe", "topic": "orders", "client_id": "s1", "since_seq": 41,
                             "epoch": "q3JkVm9tT2E"},
        "unsubscribe": {"type": "unsubscribe", "topic": "chat.room-1:x_y", "client_id": "s1"},
        "publish": {"type": "publish", "topic": "orders", "request_id": "p1",
                    "message": {"id": UUID, "payload": {"price": 99.5, "tags": ["a", None, True]}}},
        "publish_not_uuid": {"type": "publish", "topic": "orders", "message": {"id": "m-1", "payload": "text"}},
        "publish_payload_like_frame": {"type": "publish", "topic": "t", "message": {
            "id": UUID, "payload": {"x": {}, "seq": "},\"seq\":1", "message": {"id": 1}}}},
        "ping": {"type": "ping", "request_id": "r9"},
    }
    out = {name: json.dumps(value).encode() for name, value in seeds.items()}
    out.update({
        "escaped_key_and_surrogates": b'{"t\\u0079pe":"ping","request_id":"\\ud83d\\ude00\\n\\"\\\\\\/"}',
        "lone_surrogate_topic": b'{"type":"subscribe","topic":"\\udc00","client_id":"c"}',
        "duplicate_keys_spaces": b' {"type" : "ping" , "type":"publish",\t"topic":"a",\r\n"message":{"id":"x","payload":-0.5e+10}} ',
        "huge_integers": b'{"type":"subscribe","topic":"t","client_id":"c","last_n":99999999999999999999999,"since_seq":1}',
        "array": b'[1, "a", {"b": null}, true, [], {}, -0, 1E-3]',
        "deep_nesting": b"[" * 600 + b"]" * 600,
        "invalid_trailing_comma": b'{"type":"ping",}',
        "utf8_in_strings": '{"type":"publish","topic":"t","message":{"id":"\u00e9\u4e2d\U0001f600","payload":"\u00ff"}}'.encode(),
        "server_text_frame": b"\x81\x05Hello",
        "server_frame_64bit_length": b"\x82\x7f" + struct.pack(">Q", 3) + b"abc",
    })
    return out


def jwt(claims, secret=b"fuzz-secret"):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")
    signed = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + b64(json.dumps(claims).encode())
    return signed + b"." + b64(hmac.new(secret, signed, hashlib.sha256).digest())


def rest_input(flags, *requests):
    """fuzz_rest_router's input: the flags byte, then requests split by blank lines."""
    return bytes([0x40 | flags]) + b"\n\n".join(requests)


def rest_router_seeds():
    message = json.dumps({"id": UUID, "payload": {"price": 99.5}}).encode()
    batch = json.dumps({"messages": [{"id": UUID, "payload": i} for i in range(3)]}).encode()
    publisher = jwt({"sub": "svc", "exp": 4102444800, "pubsub": {"publish": ["orders", "chat.*"]}})
    admin = jwt({"sub": "ops", "exp": 4102444800, "pubsub": {"subscribe": ["*"], "admin": True}})
    expired = jwt({"sub": "old", "exp": 1000000000})
    return {
        "topic_lifecycle": rest_input(
            0, b'POST /topics\n{"name":"orders"}', b"POST /topics/orders/messages\n" + message,
            b"GET /topics/orders/messages?since_seq=0&limit=2", b"GET /topics/orders", b"GET /topics",
            b"GET /stats", b"GET /health", b"DELETE /topics/orders", b"GET /topics/orders"),
        "batch_uuid_auto_create": rest_input(
            2 | 4, b"POST /topics/chat.room-1/messages:batch\n" + batch,
            b'POST /topics/chat.room-1/messages:batch\n{"messages":[{"id":"not-a-uuid","payload":1}]}',
            b"GET /topics/chat.room-1/messages?limit=4"),
        "api_keys": rest_input(
            1, b"GET /health", b"GET /topics", b"GET /topics\nkey:wrong", b'POST /topics\nkey:rotated\n{"name":"a"}',
            b"GET /stats\nkey:secret"),
        "jwt_grants": rest_input(
            32, b"POST /topics\ntoken:" + publisher + b'\n{"name":"orders"}',
            b"POST /topics\ntoken:" + admin + b'\n{"name":"orders"}',
            b"POST /topics/orders/messages\ntoken:" + publisher + b"\n" + message,
            b"POST /topics/other/messages\ntoken:" + publisher + b"\n" + message,
            b"DELETE /topics/orders\ntoken:" + admin, b"GET /topics\ntoken:" + expired),
        "keys_and_tokens": rest_input(1 | 32, b"GET /topics\ntoken:abc.def.ghi",
                                      b"DELETE /topics/x\nkey:secret\ntoken:" + publisher),
        "shutting_down": rest_input(8 | 4, b"GET /health", b"POST /topics/a/messages\n" + message,
                                    b'POST /topics\n{"name":"b"}'),
        "rate_limited": rest_input(16 | 4, *([b"POST /topics/r/messages\n" + message] * 5)),
        "methods_and_routes": rest_input(
            0, b"PUT /topics", b"POST /health", b"PATCH /topics/a", b"GET /topics/a/messages:batch",
            b"DELETE /topics/a/messages", b"GET /ws", b"GET /nowhere/\x01\xff", b"GET /topics/a/b/c"),
        "percent_encoding": rest_input(
            4, b"POST /topics/ord%65rs/messages\n" + message, b"GET /topics/ord%65rs", b"GET /topics/bad%zz",
            b"GET /topics/trunc%4", b"GET /topics/sp%20ace"),
        "history_parameters": rest_input(
            4, b"POST /topics/h/messages:batch\n" + batch, b"GET /topics/h/messages?since_seq=1&since_seq=2",
            b"GET /topics/h/messages?limit=0", b"GET /topics/h/messages?limit=abc",
            b"GET /topics/h/messages?since_seq=18446744073709551616", b"GET /topics/h/messages?since_seq=%31&limit",
            b"GET /topics/h/messages?x=1&limit=1"),
        "topic_limit": rest_input(
            0, *[b'POST /topics\n{"name":"t%d"}' % i for i in range(6)],
            b'POST /topics\n{"name":"t0"}', b'POST /topics\n{"name":"bad name"}', b"POST /topics\n[1,2]",
            b'POST /topics\n{"name":"\\ud800"}'),
        "bad_bodies": rest_input(
            4, b"POST /topics/b/messages\n{}", b'POST /topics/b/messages\n{"id":"x"}',
            b"POST /topics/b/messages:batch\n" + b"[" * 600 + b"]" * 600, b'POST /topics/b/messages:batch\n{"messages":[]}',
            b"POST /topics/b/messages\nnot json"),
    }


JWT_SECRET = b"fuzz-jwt-secret-0123456789abcdef"
NOW = 1767225600  # 2026-01-01


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def token(claims, header=None, secret=JWT_SECRET):
    """An HS256 token; `claims` and `header` are dicts or raw JSON bytes."""
    def text(value):
        return value if isinstance(value, bytes) else json.dumps(value).encode()
    signed = b64url(text(header or {"alg": "HS256", "typ": "JWT"})) + b"." + b64url(text(claims))
    return signed + b"." + b64url(hmac.new(secret, signed, hashlib.sha256).digest())


def jwt_input(flags, body, now=NOW, step=3600):
    """fuzz_jwt's input: flags, two times (now and now + step), then the body."""
    return struct.pack("<Bqh", flags, now, step) + body


def modelled(*fields):
    """The body of fuzz_jwt's modelled mode: bytes, and int16 offsets as ("h", n)."""
    out = b""
    for field in fields:
        out += struct.pack("<h", field[1]) if isinstance(field, tuple) else bytes([field])
    return out


def public_key(algorithm_options, outform):
    """A fresh public key from the openssl command, PEM or DER."""
    private = subprocess.run(["openssl", "genpkey", *algorithm_options], check=True, capture_output=True).stdout
    return subprocess.run(["openssl", "pkey", "-pubout", "-outform", outform], input=private, check=True,
                          capture_output=True).stdout


def jwt_seeds():
    valid = {"sub": "alice", "exp": 4102444800, "pubsub": {"subscribe": ["orders", "chat.*"], "publish": ["orders"]}}
    return {
        # mode 0: tokens and Authorization header values
        "valid_hs256": jwt_input(0, token(valid)),
        "bearer_spaces": jwt_input(0, b"bEaReR   " + token({"exp": 4102444800, "pubsub": {"admin": True}}) + b"  "),
        "expires_between_the_times": jwt_input(0, token({"sub": "bob", "exp": NOW}), now=NOW + 59, step=1),
        "not_before_ahead": jwt_input(0, token({"exp": 4102444800, "nbf": NOW + 100.5}), step=60),
        "issuer_audience": jwt_input(0, token({"exp": 4102444800, "iss": "issuer-a", "aud": ["aud-b", "aud-a"]})),
        "alg_none": jwt_input(0, b64url(b'{"alg":"none"}') + b"." + b64url(b'{"exp":4102444800}') + b"."),
        "crit_header": jwt_input(0, token({"exp": 4102444800}, {"alg": "HS256", "crit": ["exp"]})),
        "rs256_header_hmac_signature": jwt_input(0, token({"exp": 4102444800}, {"alg": "RS256"})),
        "wrong_secret": jwt_input(0, token(valid, secret=b"another-secret-0123456789abcdef!")),
        "bad_base64": jwt_input(0, b"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9=.abc+/.eyJ.eyK"),
        "odd_grants": jwt_input(0, token(
            b'{"exp":4102444800,"sub":"\\u00e9\\n","pubsub":{"subscribe":[["a"]],"publish":"x","admin":1}}')),
        "duplicate_claims": jwt_input(0, token(b'{"exp":4102444800,"exp":1,"sub":"x"}')),
        # mode 1: claims the fuzzer signs (flags: signer << 2, header variant << 4)
        "signed_hs256_claims": jwt_input(1, b'{"exp":4102444800.5,"nbf":1e3,"iss":"issuer-\\u0061",'
                                            b'"aud":"aud-a","sub":"s","pubsub":{"subscribe":["*"],"admin":true}}'),
        "signed_es256_kid": jwt_input(1 | 1 << 2 | 2 << 4, json.dumps(valid).encode()),
        "signed_rs256": jwt_input(1 | 2 << 2, b'{"exp":4102444800,"aud":[]}'),
        "signed_with_public_pem": jwt_input(1 | 3 << 2, b'{"exp":4102444800}'),
        "signed_own_header": jwt_input(1 | 7 << 4, b'{"alg":"HS256","typ":"JWT","alg":"HS256"}\n{"exp":4102444800}'),
        # mode 2: modelled claims: exp, nbf, iss, aud, sub, pubsub, extra, rotation, separator
        "modelled_all_claims": jwt_input(2, modelled(
            1, ("h", 3600), 1, ("h", -30), 1, 3, 2, 0, 1, 1, 5, *b"alice", 1, 0x1F, 2, 0, 1, 2, 4, 1, 1, 3, 1)),
        "modelled_es256_bad_pattern": jwt_input(2 | 4, modelled(
            2, ("h", 100), 0, 3, 6, 1, 3, *b"\x01\"\\", 4, 3, 2, 5, 13, 0, 0, 2)),
        # mode 3: public keys, as PEM or as the DER inside one (flags | 4)
        "key_ec_p256_pem": jwt_input(3, public_key(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "PEM")),
        "key_rsa_1024_der": jwt_input(3 | 4, public_key(["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
                                                        "DER")),
        "key_ec_p384_der": jwt_input(3 | 4, public_key(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
                                                       "DER")),
    }


def write(target, seeds):
    directory = os.path.join(HERE, "corpus", target)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("fuzz_websocket_reader", websocket_reader_seeds())
    write("fuzz_client_frames", client_frames_seeds())
    write("fuzz_rest_router", rest_router_seeds())
    write("fuzz_jwt", jwt_seeds())
