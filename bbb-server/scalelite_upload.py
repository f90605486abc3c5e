#!/usr/bin/env python3
"""Sends one published BBB recording to a scalelite-rs load balancer over HTTP(S).

Run on the BBB server after a recording is published (see post_publish_scalelite_upload.rb). It packs every
format of the recording, <published_dir>/<format>/<recordID>, into a tar of <format>/<recordID>/..., and POSTs
it to <URL>/scalelite/recordings/upload with a bearer token: an HS256 JWT signed with this server's BBB
secret that names the server, the recording and the SHA-256 of the tar. Failed sends are retried with
exponential backoff; the exit status is non-zero when the last try fails.

Settings come from the command line, else from a KEY=VALUE file (default /etc/scalelite-upload.conf):
URL, SERVER_ID, SECRET, PUBLISHED_DIR, WORK_DIR, TRIES, BACKOFF, TIMEOUT, TOKEN_LIFETIME. Without SECRET,
the secret is read from `bbb-conf --secret`; without SERVER_ID, the host's fully qualified name is used
(the id the load balancer gives servers with SERVER_ID_IS_HOSTNAME). Python 3 standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request

UPLOAD_PATH = "/scalelite/recordings/upload"
DEFAULTS = {
    "CONFIG": "/etc/scalelite-upload.conf",
    "PUBLISHED_DIR": "/var/bigbluebutton/published",
    "TRIES": "5",
    "BACKOFF": "2",
    "TIMEOUT": "600",
    "TOKEN_LIFETIME": "600",
}
# Answers worth another try: the load balancer or a proxy in front of it may recover.
RETRIED_STATUSES = {408, 429, 500, 502, 503, 504}


class Refused(Exception):
    """The load balancer answered with a refusal that another try would not change."""


def log(message):
    print(f"scalelite_upload: {message}", file=sys.stderr, flush=True)


def read_config(path):
    """KEY=VALUE lines; blank lines and # comments are skipped, quotes around values are dropped."""
    settings = {}
    if not os.path.isfile(path):
        return settings
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            settings[key.strip().upper()] = value.strip().strip("'\"")
    return settings


def bbb_conf_secret():
    """The secret `bbb-conf --secret` prints on its `Secret:` line."""
    try:
        output = subprocess.run(["bbb-conf", "--secret"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(f"scalelite_upload: no SECRET configured and bbb-conf --secret failed: {error}")
    for line in output.splitlines():
        if line.strip().lower().startswith("secret:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("scalelite_upload: no SECRET configured and bbb-conf --secret printed none")


def settings_from(args):
    """Command line over config file over defaults."""
    config_path = args.config or DEFAULTS["CONFIG"]
    if args.config and not os.path.exists(args.config):
        raise SystemExit(f"scalelite_upload: no config file {args.config}")
    merged = dict(DEFAULTS)
    merged.update(read_config(config_path))
    for key in ("url", "server_id", "secret", "published_dir", "work_dir", "tries", "backoff", "timeout",
                "token_lifetime"):
        value = getattr(args, key)
        if value is not None:
            merged[key.upper()] = str(value)
    if not merged.get("URL"):
        raise SystemExit("scalelite_upload: URL of the load balancer is not configured")
    merged.setdefault("SERVER_ID", socket.getfqdn())
    if not merged.get("SECRET"):
        merged["SECRET"] = bbb_conf_secret()
    return merged


def format_dirs(published_dir, record_id):
    """(format, directory) of every published format of the recording."""
    if not os.path.isdir(published_dir):
        return []
    found = []
    for format_name in sorted(os.listdir(published_dir)):
        directory = os.path.join(published_dir, format_name, record_id)
        if os.path.isdir(directory):
            found.append((format_name, directory))
    return found


def pack(formats, record_id, work_dir):
    """Writes the tar of <format>/<recordID>/... to a temporary file; returns its path and SHA-256."""
    handle, path = tempfile.mkstemp(prefix=f".{record_id}.", suffix=".tar", dir=work_dir)
    with os.fdopen(handle, "wb") as output, tarfile.open(fileobj=output, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for format_name, directory in formats:
            tar.add(directory, arcname=f"{format_name}/{record_id}")
    digest = hashlib.sha256()
    with open(path, "rb") as tar:
        for chunk in iter(lambda: tar.read(1 << 20), b""):
            digest.update(chunk)
    return path, digest.hexdigest()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def token(server_id, secret, record_id, sha256, lifetime):
    """An HS256 JWT of the upload claims, signed with the server's BBB secret."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": server_id, "record_id": record_id, "sha256": sha256, "exp": int(time.time()) + lifetime}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = header + b"." + payload
    signature = b64url(hmac.new(secret.encode(), signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature).decode()


def send(url, tar_path, bearer, timeout):
    """One POST of the tar; returns the answer's JSON, raises Refused or another error to retry."""
    with open(tar_path, "rb") as body:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Authorization": f"Bearer {bearer}",
            "Content-Type": "application/x-tar",
            "Content-Length": str(os.path.getsize(tar_path)),
        })
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = error.read(2000).decode("utf-8", "replace")
            if error.code in RETRIED_STATUSES:
                raise OSError(f"HTTP {error.code}: {detail}") from error
            raise Refused(f"HTTP {error.code}: {detail}") from error


def upload(settings, record_id, tar_path, sha256):
    """Sends with retries; True once the load balancer has queued the recording."""
    url = settings["URL"].rstrip("/") + UPLOAD_PATH
    tries, backoff = max(1, int(settings["TRIES"])), float(settings["BACKOFF"])
    for attempt in range(1, tries + 1):
        bearer = token(settings["SERVER_ID"], settings["SECRET"], record_id, sha256, int(settings["TOKEN_LIFETIME"]))
        try:
            answer = send(url, tar_path, bearer, float(settings["TIMEOUT"]))
            log(f"{record_id} queued by {url}: {answer}")
            return True
        except Refused as refusal:
            log(f"{record_id} refused by {url}: {refusal}")
            return False
        except (OSError, ValueError) as error:
            log(f"{record_id}: try {attempt} of {tries} failed: {error}")
        if attempt < tries:
            time.sleep(backoff * 2 ** (attempt - 1))
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--meeting-id", dest="record_id", required=True, help="the recording (record) ID")
    parser.add_argument("-f", "--format", help="the format BBB just published (ignored: every format is sent)")
    parser.add_argument("--config", help=f"KEY=VALUE settings file (default {DEFAULTS['CONFIG']})")
    parser.add_argument("--url", help="the load balancer, e.g. https://lb.example.org")
    parser.add_argument("--server-id", help="this server's id in the load balancer")
    parser.add_argument("--secret", help="this server's BBB secret")
    parser.add_argument("--published-dir", help=f"default {DEFAULTS['PUBLISHED_DIR']}")
    parser.add_argument("--work-dir", help="where the tar is built (default the system temporary directory)")
    parser.add_argument("--tries", type=int, help=f"default {DEFAULTS['TRIES']}")
    parser.add_argument("--backoff", type=float, help=f"seconds before the second try, doubled after (default {DEFAULTS['BACKOFF']})")
    parser.add_argument("--timeout", type=float, help=f"seconds per try (default {DEFAULTS['TIMEOUT']})")
    parser.add_argument("--token-lifetime", type=int, help=f"seconds (default {DEFAULTS['TOKEN_LIFETIME']})")
    args = parser.parse_args()
    settings = settings_from(args)

    formats = format_dirs(settings["PUBLISHED_DIR"], args.record_id)
    if not formats:
        log(f"no published format of {args.record_id} under {settings['PUBLISHED_DIR']}")
        return 1
    tar_path, sha256 = pack(formats, args.record_id, settings.get("WORK_DIR") or None)
    try:
        return 0 if upload(settings, args.record_id, tar_path, sha256) else 1
    finally:
        os.remove(tar_path)


if __name__ == "__main__":
    sys.exit(main())
