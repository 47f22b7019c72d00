"""S3 GETs, listings and single PUTs signed here and sent straight onto the connection pool botocore keeps for the store.

Many small objects are bound by the client's CPU per request. The botocore client spends ~0.8 ms on its events,
endpoint rules and response parsing; its HTTP session alone still looks up proxies and the pool for every
request, and its SigV4 signer derives the signing key every time. Here the pool (with botocore's proxy, CA
bundle and timeouts) is found once per store and the key once a day, so a request costs little more than
urllib3 itself (benchmarks/s3_request_cpu.py). Bodies go UNSIGNED-PAYLOAD, as the client is configured to send
them. The store asks the client again whenever a response is not 2xx, so a mistake here costs time, never a
wrong result; a client whose internals are not as expected (another botocore) gets no Wire at all.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote, urlsplit

UNSIGNED = "UNSIGNED-PAYLOAD"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class Wire:
    """Signed requests to the objects under `base` ("scheme://host[:port]/path-prefix/")."""

    def __init__(self, client, base: str):
        parts = urlsplit(base)
        session = client._endpoint.http_session
        proxy = session._proxy_config.proxy_url_for(base)
        self.pool = session._get_connection_manager(base, proxy).connection_from_url(base)
        session._setup_ssl_cert(self.pool, base, session._verify)
        self.credentials = client._request_signer._credentials
        if self.credentials is None:  # an unsigned (anonymous) client: nothing to sign with
            raise ValueError("no credentials")
        self.region = client.meta.region_name
        self.host, self.prefix = parts.netloc, parts.path
        # a plain-http proxy is asked for the absolute URL; through an https tunnel the path is enough
        self.origin = f"{parts.scheme}://{parts.netloc}" if proxy and parts.scheme == "http" else ""
        self._key: tuple[tuple[str, str], bytes] | None = None  # ((secret, day), signing key)

    def send(self, method: str, tail: str, headers: dict[str, str] | None = None, body: bytes | None = None,
             query: dict[str, str] | None = None):
        """The urllib3 response to `method` on base + `tail` (already URL-quoted) with `query`, body not read."""
        path = self.prefix + tail
        query_text = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted((query or {}).items()))
        signed = self._sign(method, path, headers or {}, query=query_text)
        return self.pool.urlopen(method, self.origin + path + (f"?{query_text}" if query_text else ""), body=body,
                                 headers=signed, retries=False, redirect=False, assert_same_host=False,
                                 preload_content=False, decode_content=False)

    def _sign(self, method: str, path: str, extra: dict[str, str], stamp: str | None = None,
              query: str = "") -> dict[str, str]:
        """SigV4 headers (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html);
        `query` is the canonical query string (sorted, quoted); `stamp` (YYYYMMDDTHHMMSSZ) is now unless given."""
        creds = self.credentials.get_frozen_credentials()  # refreshable credentials renew themselves here
        stamp = stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        day = stamp[:8]
        cached = self._key  # read once: another thread may replace it at midnight or on new credentials
        if cached is None or cached[0] != (creds.secret_key, day):
            key = _hmac(("AWS4" + creds.secret_key).encode(), day)
            for part in (self.region, "s3", "aws4_request"):
                key = _hmac(key, part)
            cached = self._key = ((creds.secret_key, day), key)
        headers = {"host": self.host, "x-amz-date": stamp, "x-amz-content-sha256": UNSIGNED}
        if creds.token:
            headers["x-amz-security-token"] = creds.token
        for name, value in extra.items():
            headers[name.lower()] = " ".join(str(value).split())
        names = sorted(headers)
        signed_names = ";".join(names)
        canonical = "\n".join([method, path, query, *(f"{n}:{headers[n]}" for n in names), "", signed_names, UNSIGNED])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(cached[1], to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
                                    f"SignedHeaders={signed_names}, Signature={signature}")
        return headers
