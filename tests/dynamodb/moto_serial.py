"""moto's server (DynamoDB, S3), one request at a time, refusing S3 presigned URLs that real S3 would refuse.

moto_server handles requests on threads with no lock, so two TransactWriteItems running at once are not atomic
(and its table copies fail with "dictionary changed size during iteration"). Real DynamoDB serializes
conflicting transactions; a lock around the whole app gives the tests the same guarantee.

moto serves presigned S3 URLs without checking them. Here a request carrying X-Amz-Signature in its query is
checked as S3 does (SigV4 over the query, with the dummy secret the tests use, AWS_SECRET_ACCESS_KEY or "test")
and refused with 403 when the signature does not match or X-Amz-Expires has passed.

Usage: python3 moto_serial.py HOST PORT
"""

import datetime
import hashlib
import hmac
import os
import sys
import threading
from urllib.parse import quote, unquote

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "test")


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def presigned_refusal(environ):
    """Why a presigned request is refused, or None when it is not presigned or passes."""
    query = environ.get("QUERY_STRING", "")
    if "X-Amz-Signature=" not in query:
        return None
    pairs = [p.split("=", 1) if "=" in p else [p, ""] for p in query.split("&") if p]
    params = {unquote(k): unquote(v) for k, v in pairs}
    canonical_query = "&".join(
        f"{quote(unquote(k), safe='-_.~')}={quote(unquote(v), safe='-_.~')}"
        for k, v in sorted(pairs)
        if unquote(k) != "X-Amz-Signature"
    )
    date = params.get("X-Amz-Date", "")
    try:
        signed_at = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        expires = int(params.get("X-Amz-Expires", "0"))
    except ValueError:
        return "malformed X-Amz-Date or X-Amz-Expires"
    if datetime.datetime.now(datetime.timezone.utc) > signed_at + datetime.timedelta(seconds=expires):
        return "Request has expired"
    scope = params.get("X-Amz-Credential", "").split("/", 1)[-1]
    signed_headers = params.get("X-Amz-SignedHeaders", "host").split(";")
    headers = {"host": environ.get("HTTP_HOST", "")}
    headers.update({h: environ.get("HTTP_" + h.upper().replace("-", "_"), "") for h in signed_headers if h != "host"})
    path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    canonical = "\n".join([
        environ["REQUEST_METHOD"],
        path.split("?", 1)[0],
        canonical_query,
        "".join(f"{h}:{headers[h].strip()}\n" for h in signed_headers),
        ";".join(signed_headers),
        "UNSIGNED-PAYLOAD",
    ])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
        return "SignatureDoesNotMatch"
    return None


def serial(environ, start_response):
    refusal = presigned_refusal(environ)
    if refusal is not None:
        start_response("403 Forbidden", [("Content-Type", "application/xml")])
        return [f"<Error><Code>AccessDenied</Code><Message>{refusal}</Message></Error>".encode()]
    with lock:
        return list(app(environ, start_response))


run_simple(host, port, serial, threaded=True)
