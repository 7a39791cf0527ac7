"""A fake of the two local credential endpoints AWS SDKs read, for tempcreds' tests.

Usage: python metadata.py PORT

On 127.0.0.1:PORT it serves:
- the container credentials endpoint (ECS): GET /ecs/creds answers
  {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, the shape the SDKs read from
  AWS_CONTAINER_CREDENTIALS_FULL_URI;
- the EC2 instance metadata service, IMDSv2 only: PUT /latest/api/token with the header
  X-aws-ec2-metadata-token-ttl-seconds gives a token; GET /latest/meta-data/iam/
  security-credentials/ names the role and GET .../ROLE its credentials, each only with
  that token in X-aws-ec2-metadata-token (401 without), as the SDKs read it from
  AWS_EC2_METADATA_SERVICE_ENDPOINT.
The keys are moto's default test keys with a session token, valid for one hour.
Test hook: GET /_fake/hits (how many credential answers were served).
"""
import json
import secrets
import sys
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

PORT = int(sys.argv[1])
ROLE = "tempcreds-test-instance-role"
lock = threading.Lock()
state = {"hits": 0, "tokens": set()}


def credentials():
    with lock:
        state["hits"] += 1
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    return {
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Token": "FQoGZXIvYXdzEXAMPLETOKEN" + secrets.token_hex(8),
        "Expiration": expires,
        "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def app(environ, start_response):
    req = Request(environ)
    path = req.path
    if path == "/ecs/creds" and req.method == "GET":
        resp = Response(json.dumps(credentials()), content_type="application/json")
    elif path == "/latest/api/token" and req.method == "PUT":
        if not req.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            resp = Response("missing TTL", status=400)
        else:
            token = secrets.token_hex(16)
            with lock:
                state["tokens"].add(token)
            resp = Response(token)
            resp.headers["X-aws-ec2-metadata-token-ttl-seconds"] = req.headers["X-aws-ec2-metadata-token-ttl-seconds"]
    elif path.startswith("/latest/meta-data/iam/security-credentials/"):
        with lock:
            ok = req.headers.get("X-aws-ec2-metadata-token") in state["tokens"]
        name = path[len("/latest/meta-data/iam/security-credentials/"):]
        if not ok:
            resp = Response("", status=401)
        elif name == "":
            resp = Response(ROLE)
        elif name == ROLE:
            resp = Response(json.dumps(credentials()), content_type="application/json")
        else:
            resp = Response("", status=404)
    elif path == "/_fake/hits":
        with lock:
            resp = Response(str(state["hits"]))
    else:
        resp = Response("", status=404)
    return resp(environ, start_response)


make_server("127.0.0.1", PORT, app, threaded=True).serve_forever()
