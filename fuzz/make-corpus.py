#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (run from anywhere).

Sources:
- every IdP response body in tests/scenarios/*.json, filed under the
  document it is (found from the scenario's config: which endpoint the URL
  is), with the two selector bytes the document targets read first
  (status, content type; 0 = 200 / application/json);
- the request options of every scenario (`call.get`), for request_options;
- realistic documents written out below (shapes seen in deployed IdPs and
  in the spec's examples), and a few nasty ones;
- the union of all bodies, without selector bytes, for differential;
- for flow and invariants (inputs decoded by `arbitrary`): fixed
  pseudo-random blobs, so every run of this script writes the same files.

Files are named seed-<source>-<sha1 prefix>; only those are replaced, so
inputs merged into a corpus from a long run (fuzz/run-all.sh --merge) stay.
"""

import glob
import hashlib
import json
import os
import random
import sys
from urllib.parse import urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")

DOCS = ["well_known", "config", "accounts", "client_metadata", "assertion", "disconnect"]
TARGETS = DOCS + ["request_options", "differential", "flow", "invariants"]

# check/src/fuzz/docs.rs: status selector 192 + index; content-type selector 192 + index.
STATUSES = [200, 201, 204, 206, 299, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 429, 500, 503,
            0, 100, 199, 999, 65535]
CONTENT_TYPES = ["application/json; charset=utf-8", "text/json", "application/ld+json", "APPLICATION/JSON",
                 " application/json ;charset=\"latin1\"", "text/html", "text/plain", "application/javascript"]


def status_selector(status):
    if status == 200:
        return 0
    return 192 + STATUSES.index(status) if status in STATUSES else 0


def content_type_selector(headers):
    for name, value in (headers or {}).items():
        if name.lower() == "content-type" and value in CONTENT_TYPES:
            return 192 + CONTENT_TYPES.index(value)
    return 0


def body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Corpus:
    def __init__(self):
        self.files = {t: {} for t in TARGETS}

    def add(self, target, source, data):
        digest = hashlib.sha1(data).hexdigest()[:16]
        for existing in self.files[target].values():
            if existing == data:
                return
        self.files[target][f"seed-{source}-{digest}"] = data

    def add_doc(self, kind, source, body, status=200, headers=None):
        prefix = bytes([status_selector(status), content_type_selector(headers)])
        self.add(kind, source, prefix + body)
        self.add("differential", source, body)

    def write(self):
        total = 0
        for target, files in self.files.items():
            d = os.path.join(CORPUS, target)
            os.makedirs(d, exist_ok=True)
            for name in os.listdir(d):
                if name.startswith("seed-"):
                    os.remove(os.path.join(d, name))
            for name, data in sorted(files.items()):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
                total += len(data)
            print(f"{target:16} {len(files):4} files")
        print(f"total {total} bytes")


def classify(url, configs):
    """The document a scenario URL serves, from the configs that name it."""
    method, _, url = url.rpartition(" ")
    path = urlsplit(url).path
    if path.endswith("/.well-known/web-identity") or path.endswith("web-identity"):
        return "well_known"
    for config_url, config in configs:
        if url == config_url:
            return "config"
        if not isinstance(config, dict):
            continue
        for member, kind in [("accounts_endpoint", "accounts"), ("id_assertion_endpoint", "assertion"),
                             ("client_metadata_endpoint", "client_metadata"), ("disconnect_endpoint", "disconnect")]:
            value = config.get(member)
            if isinstance(value, str) and urljoin(config_url, value) == url:
                return kind
    name = path.rsplit("/", 1)[-1]
    guesses = {"accounts": "accounts", "assertion": "assertion", "client_metadata": "client_metadata",
               "disconnect": "disconnect"}
    if name in guesses:
        return guesses[name]
    if name.endswith(".json"):
        return "config"
    return "assertion" if method == "POST" else None


def from_scenarios(corpus):
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "scenarios", "*.json"))):
        source = "s" + os.path.basename(path).split("-", 1)[0]
        scenario = json.load(open(path))
        call = scenario.get("call", {})
        if "get" in call:
            corpus.add("request_options", source, body_bytes(call["get"]))
        config_urls = [p.get("configURL") for p in call.get("get", {}).get("identity", {}).get("providers", [])
                       if isinstance(p, dict)]
        if "disconnect" in call:
            config_urls.append(call["disconnect"].get("configURL"))
        idp = scenario.get("idp", {})
        configs = []
        for url in config_urls:
            entry = idp.get(url)
            for r in entry if isinstance(entry, list) else [entry] if entry else []:
                configs.append((url, r.get("body")))
        for url, entry in idp.items():
            kind = classify(url, configs)
            if kind is None:
                continue
            for r in entry if isinstance(entry, list) else [entry]:
                if "network_error" in r:
                    continue
                corpus.add_doc(kind, source, body_bytes(r.get("body")), r.get("status", 200), r.get("headers"))


REALISTIC = {
    "well_known": [
        {"provider_urls": ["https://accounts.idp.example/gsi/fedcm.json"]},
        {"provider_urls": ["https://idp.example/fedcm/config.json"], "accounts_endpoint": "/fedcm/accounts",
         "login_url": "/fedcm/login"},
        {"accounts_endpoint": "https://idp.example/fedcm/accounts", "login_url": "https://idp.example/fedcm/login"},
        {"provider_urls": ["config.json"]},
        {"provider_urls": ["https://idp.example/a.json", "https://idp.example/b.json"]},
    ],
    "config": [
        {"accounts_endpoint": "/fedcm/accounts", "client_metadata_endpoint": "/fedcm/client_metadata",
         "id_assertion_endpoint": "/fedcm/assertion", "login_url": "/fedcm/login",
         "disconnect_endpoint": "/fedcm/disconnect", "supports_use_other_account": True,
         "account_label": "developer", "types": ["indieauth"],
         "branding": {"background_color": "rgb(26, 115, 232)", "color": "#fff", "name": "IdP Example",
                      "icons": [{"url": "https://idp.example/icon-32.png", "size": 32},
                                {"url": "/icon.svg"}]}},
        {"accounts_endpoint": "accounts", "id_assertion_endpoint": "assertion", "login_url": "login"},
        {"accounts_endpoint": "https://idp.example/fedcm/accounts", "id_token_endpoint": "/fedcm/token",
         "signin_url": "/fedcm/signin", "modes": {"button": {"supports_use_other_account": True}}},
        {"accounts_endpoint": "", "id_assertion_endpoint": 5, "login_url": None,
         "branding": {"icons": [{"size": -1}], "background_color": "#12345"}},
    ],
    "accounts": [
        {"accounts": [{"id": "5124", "given_name": "Jane", "name": "Jane Doe", "email": "jane@idp.example",
                       "picture": "https://idp.example/profile/5124.jpg", "approved_clients": ["123", "456"],
                       "login_hints": ["jane@idp.example", "jdoe"], "domain_hints": ["corp.example"],
                       "label_hints": ["developer"]},
                      {"id": "7342", "username": "jd", "tel": "+1 555 0100", "approved_clients": []}]},
        {"accounts": [{"id": 1234, "name": None}, {"id": "1234", "email": "dup@idp.example"}]},
        {"accounts": [{"account_id": "1", "name": "legacy", "labels": ["l1"]}]},
        {"accounts": []},
    ],
    "client_metadata": [
        {"privacy_policy_url": "https://rp.example/privacy_policy.html",
         "terms_of_service_url": "https://rp.example/terms_of_service.html",
         "client_is_third_party_to_top_frame_origin": False},
        {"privacy_policy_url": "/relative", "terms_of_service_url": "javascript:alert(1)"},
    ],
    "assertion": [
        {"token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2ln"},
        {"token": {"id_token": "x", "expires_in": 3600}},
        {"continue_on": "/fedcm/continue?session=abc"},
        {"error": {"error": "invalid_request", "url": "https://idp.example/error?type=invalid"}},
        {"error": {"code": "access_denied"}},
        {"id_token": "legacy"},
    ],
    "disconnect": [
        {"account_id": "5124"},
        {"account_id": ""},
        {"account_id": 7},
    ],
}

NASTY = [
    b"\xef\xbb\xbf{\"accounts\":[]}",
    b"{\"accounts\":[{\"id\":\"\xff\",\"name\":\"a\"}]}",
    b"{\"token\":\"\\ud800\"}",
    b"{\"account_id\":\"a\",\"account_id\":\"b\"}",
    b"[" * 129 + b"]" * 129,
    b"[" * 128 + b"]" * 128,
    b"{\"provider_urls\":[" + b",".join([b"\"x\""] * 200) + b"]}",
    b"{\"a\":1e400}",
    b"  {}  ",
    b"{} x",
]


def realistic(corpus):
    for kind, docs in REALISTIC.items():
        for doc in docs:
            corpus.add_doc(kind, "doc", body_bytes(doc))
    for body in NASTY:
        for kind in DOCS:
            corpus.add_doc(kind, "nasty", body)
    corpus.add("request_options", "doc", body_bytes(
        {"mediation": "required", "identity": {"mode": "active", "context": "continue", "providers": [
            {"configURL": "https://idp.example/fedcm.json", "clientId": "123", "fields": ["name", "email"],
             "params": {"nonce": "n", "scope": "openid"}, "loginHint": "jane", "domainHint": "any"}]}}))
    corpus.add("request_options", "doc", b"{\"identity\":{\"providers\":[{\"configURL\":5,\"clientId\":null}]}}")


def worlds(corpus):
    rng = random.Random(20251123)
    for target in ["flow", "invariants"]:
        corpus.add(target, "empty", b"")
        for i in range(48):
            size = rng.choice([8, 32, 64, 128, 256, 512, 1024, 2048])
            corpus.add(target, f"rand{i:02}", bytes(rng.randrange(256) for _ in range(size)))


def main():
    corpus = Corpus()
    from_scenarios(corpus)
    realistic(corpus)
    worlds(corpus)
    corpus.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
