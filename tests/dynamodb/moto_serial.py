"""moto's server (DynamoDB, S3), one request at a time, refusing S3 presigned URLs that real S3 would refuse.

moto_server handles requests on threads with no lock, so two TransactWriteItems running at once are not atomic
(and its table copies fail with "dictionary changed size during iteration"). Real DynamoDB serializes
conflicting transactions; a lock around the whole app gives the tests the same guarantee.

moto serves presigned S3 URLs without checking them. Here a request carrying X-Amz-Signature in its query is
checked as S3 does (SigV4 over the query, with the dummy secret the tests use, AWS_SECRET_ACCESS_KEY or "test")
and refused with 403 when the signature does not match or X-Amz-Expires has passed.

moto backs up every table a TransactWriteItems touches, a deep copy for each of its items, so a transaction
costs time in proportion to the tables' sizes and a race of a thousand placements grows quadratically. Here
the backup is a shallow copy of the table with deep copies of just the items the transaction names (moto
updates items in place), which restores the same state when the transaction is cancelled.

moto names the answer to CompleteMultipartUpload differently from S3; here it gets S3's name.

Two costs of moto's that tests pay on every request are cut: the answers of DynamoDB's item operations, already
in DynamoDB's JSON shape, are written with json.dumps instead of moto's generic serializer (a fifth of its
time in the store contract's races), and werkzeug's log line for each request is not written.

Usage: python3 moto_serial.py HOST PORT
"""

import datetime
import hashlib
import hmac
import os
import sys
import threading
from urllib.parse import quote, unquote

import base64
import copy
import json
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, run_simple

host, port = sys.argv[1], int(sys.argv[2])
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "test")


# The items of the transaction being run, by table name: {(hash, range)}; None outside a transaction.
transaction_keys = None


def item_key(table, op):
    """The (hash, range) of the item a transaction operation names, as moto keys its table's items."""
    attrs = op["Item"] if "Item" in op else op.get("Key", {})
    if table.hash_key_attr not in attrs:
        return None
    hash_value = DynamoType(attrs[table.hash_key_attr])
    has_range = table.range_key_attr is not None and table.range_key_attr in attrs
    return hash_value, DynamoType(attrs[table.range_key_attr]) if has_range else None


def table_backup(table):
    """A copy of `table` that shares its unchanged items: the items the transaction names are copied deeply."""
    backup = copy.copy(table)
    backup.items = type(table.items)(table.items.default_factory) if hasattr(table.items, "default_factory") else {}
    for hash_value, held in table.items.items():
        backup.items[hash_value] = dict(held) if table.range_key_attr is not None else held
    for hash_value, range_value in (transaction_keys or {}).get(table.name, ()):
        if range_value is None and hash_value in table.items and table.range_key_attr is None:
            backup.items[hash_value] = copy.deepcopy(table.items[hash_value])
        elif range_value is not None and range_value in table.items.get(hash_value, {}):
            backup.items[hash_value][range_value] = copy.deepcopy(table.items[hash_value][range_value])
    return backup


class TransactionCopy:
    """moto's `copy` module inside its DynamoDB models, with tables backed up as `table_backup` does."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        in_transaction = transaction_keys is not None
        return table_backup(value) if in_transaction and isinstance(value, Table) else copy.deepcopy(value, memo)


original_transact_write_items = DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    global transaction_keys
    keys = {}
    for item in transact_items:
        _, op = next(iter(item.items()))
        table = self.tables.get(op.get("TableName"))
        key = item_key(table, op) if table is not None else None
        if key is not None:
            keys.setdefault(table.name, set()).add(key)
    transaction_keys = keys
    try:
        return original_transact_write_items(self, transact_items)
    finally:
        transaction_keys = None


dynamodb_models.copy = TransactionCopy()
DynamoDBBackend.transact_write_items = transact_write_items


# DynamoDB operations whose answers are items and counts: plain JSON, with binary values in base64.
ITEM_OPERATIONS = {
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems",
}
original_execute_result = DynamoResult.execute_result


def json_value(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} in a DynamoDB answer")


def execute_result(self, context):
    if context.operation_model.name not in ITEM_OPERATIONS or not isinstance(self.result, dict):
        return original_execute_result(self, context)
    answer = {key: value for key, value in self.result.items() if value is not None}
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(answer, default=json_value)


DynamoResult.execute_result = execute_result
WSGIRequestHandler.log_request = lambda *args, **kwargs: None


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


def s3_named(environ, start_response):
    """moto's answer, with CompleteMultipartUpload's root element named CompleteMultipartUploadResult as S3 names
    it (moto 5.2.1 writes CompleteMultipartUploadResponse, which the Rust SDK refuses to parse)."""
    answered = {}

    def capture(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, headers

    body = b"".join(app(environ, capture))
    if environ["REQUEST_METHOD"] == "POST" and "uploadId=" in environ.get("QUERY_STRING", ""):
        body = body.replace(b"CompleteMultipartUploadResponse", b"CompleteMultipartUploadResult")
    headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in answered["headers"]]
    start_response(answered["status"], headers)
    return [body]


def serial(environ, start_response):
    refusal = presigned_refusal(environ)
    if refusal is not None:
        start_response("403 Forbidden", [("Content-Type", "application/xml")])
        return [f"<Error><Code>AccessDenied</Code><Message>{refusal}</Message></Error>".encode()]
    with lock:
        return s3_named(environ, start_response)


run_simple(host, port, serial, threaded=True)
