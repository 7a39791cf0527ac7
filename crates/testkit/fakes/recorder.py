"""A recording proxy in front of moto, for tempcreds' tests of key rotation.

Usage: python recorder.py PORT MOTO_URL

Every STS and IAM request (POST /) is passed to moto and recorded: its Action, the access
key id that signed it (from the SigV4 Authorization header), whether it carried a session
token, and the parameters that name keys and users (never a secret). moto checks neither
signatures nor eventual consistency, so failures are injected here, as real IAM gives them:
GET /_fake/fail?action=A&code=C[&status=403][&unless_key=ID][&only_key=ID] makes every A
(signed by a key other than unless_key / by only_key) answer with error C;
GET /_fake/clear removes the rules; GET /_fake/log returns the record as JSON.
"""
import json
import re
import sys
import threading
import urllib.parse

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

PORT, MOTO = int(sys.argv[1]), sys.argv[2].rstrip("/")
lock = threading.Lock()
log = []
rules = []
KEPT = ("UserName", "AccessKeyId", "Status", "SerialNumber", "TokenCode", "DurationSeconds")


def signer(req):
    m = re.search(r"Credential=([A-Z0-9]+)/", req.headers.get("Authorization", ""))
    return m.group(1) if m else None


def failure(action, key):
    with lock:
        for r in rules:
            if r["action"] != action:
                continue
            if r.get("unless_key") and key == r["unless_key"]:
                continue
            if r.get("only_key") and key != r["only_key"]:
                continue
            return r
    return None


def proxy(req):
    body = req.get_data()
    form = urllib.parse.parse_qs(body.decode())
    action = form.get("Action", [""])[0]
    key = signer(req)
    entry = {
        "action": action,
        "key": key,
        "token": "x-amz-security-token" in {k.lower() for k in req.headers.keys()},
        "params": {k: form[k][0] for k in KEPT if k in form},
    }
    rule = failure(action, key)
    entry["failed"] = rule["code"] if rule else None
    with lock:
        log.append(entry)
    if rule:
        xml = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
               "<Message>injected by the test</Message></Error><RequestId>fake</RequestId></ErrorResponse>"
               % rule["code"])
        return Response(xml, status=int(rule.get("status", "403")), content_type="text/xml")
    headers = {k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")}
    r = requests.post(MOTO + "/", data=body, headers=headers, timeout=30)
    return Response(r.content, status=r.status_code, content_type=r.headers.get("Content-Type"))


@Request.application
def app(req):
    if req.method == "POST" and req.path == "/":
        return proxy(req)
    args = {k: v for k, v in req.args.items()}
    if req.path == "/_fake/log":
        with lock:
            return Response(json.dumps(log), content_type="application/json")
    if req.path == "/_fake/fail":
        with lock:
            rules.append(args)
        return Response("ok")
    if req.path == "/_fake/clear":
        with lock:
            rules.clear()
        return Response("ok")
    return Response("not found", status=404)


if __name__ == "__main__":
    make_server("127.0.0.1", PORT, app, threaded=True).serve_forever()
