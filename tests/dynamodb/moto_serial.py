"""moto's DynamoDB server, one request at a time.

moto_server handles requests on threads with no lock, so two TransactWriteItems running at once are not atomic
(and its table copies fail with "dictionary changed size during iteration"). Real DynamoDB serializes
conflicting transactions; a lock around the whole app gives the tests the same guarantee.

Usage: python3 moto_serial.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serial(environ, start_response):
    with lock:
        return list(app(environ, start_response))


run_simple(host, port, serial, threaded=True)
