"""A faithful fake of the AWS sign-in federation endpoint, for tempcreds' tests.

Usage: python federation.py PORT MOTO_URL

It does two things on 127.0.0.1:PORT:
- Proxies STS requests (POST /) to moto, and remembers from each answer how the
  credentials were issued (AssumeRole, and whether with temporary credentials: role
  chaining; GetFederationToken; GetSessionToken). Real AWS knows this from the session
  token itself; moto's tokens carry no such meaning, so the fake learns it here.
- Serves /federation with the documented rules (ARCHITECTURE.md, "Console sign-in"):
  getSigninToken takes exactly Action, Session and optionally SessionDuration
  (case-sensitive names: anything else is refused here, where AWS would silently ignore
  it, so a wrong name fails loudly); the Session JSON has exactly sessionId, sessionKey,
  sessionToken; SessionDuration is 900..43200, never with federation-token credentials,
  and (field evidence) never with role-chained credentials; only role and federation-token
  credentials may sign in. Sign-in tokens expire after 15 minutes; Action=login redirects
  (302) to the destination. /oauth?Action=logout redirects to redirect_uri.
Test hooks: GET /_fake/log (what getSigninToken received), /_fake/sts (how many STS calls
were proxied), /_fake/advance?seconds=N (move the clock), /_fake/expire-in?seconds=N (STS
answers from now on say the credentials expire N seconds from the moment they are issued,
as a session nearing its end would; 0 turns this off), /_fake/sts-down?on=1|0 (every STS
call is answered 503 ServiceUnavailable while on: an outage, which the SDKs retry), and two broken endpoints for
error tests: /_fake/html/federation (200, not JSON), /_fake/empty/federation (200, {}).
"""
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

PORT, MOTO = int(sys.argv[1]), sys.argv[2].rstrip("/")
lock = threading.Lock()
issued = {}  # session token -> {"kind", "chained", "key", "secret", "expires"}
tokens = {}  # sign-in token -> {"at", "console_seconds"}
log = []
sts_calls = [0]
offset = [0.0]
expire_in = [0]
sts_down = [False]


def now():
    return time.time() + offset[0]


def tag(xml, name):
    m = re.search(r"<%s>(.*?)</%s>" % (name, name), xml, re.S)
    return m.group(1) if m else None


def proxy(req):
    with lock:
        sts_calls[0] += 1
        if sts_down[0]:
            return Response(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
                "<Message>the fake STS is down</Message></Error></ErrorResponse>",
                status=503, content_type="text/xml")
    headers = {k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")}
    body = req.get_data()
    r = requests.post(MOTO + "/", data=body, headers=headers, timeout=30)
    form = urllib.parse.parse_qs(body.decode())
    action = form.get("Action", [""])[0]
    content = r.content
    if r.status_code == 200 and action in ("AssumeRole", "GetFederationToken", "GetSessionToken"):
        text = r.text
        with lock:
            seconds = expire_in[0]
        if seconds:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
            text = re.sub(r"<Expiration>.*?</Expiration>", "<Expiration>%s</Expiration>" % stamp, text)
            content = text.encode()
        kind = {"AssumeRole": "role", "GetFederationToken": "federation", "GetSessionToken": "session"}[action]
        with lock:
            issued[tag(text, "SessionToken")] = {
                "kind": kind,
                # A call signed with temporary credentials carries their token.
                "chained": kind == "role" and "x-amz-security-token" in {k.lower() for k in req.headers.keys()},
                "key": tag(text, "AccessKeyId"),
                "secret": tag(text, "SecretAccessKey"),
                "duration": int(form.get("DurationSeconds", ["3600" if kind == "role" else "43200"])[0]),
            }
    return Response(content, status=r.status_code, content_type=r.headers.get("Content-Type"))


def bad(message):
    return Response(message, status=400, content_type="text/plain")


def get_signin_token(args):
    entry = {k: v for k, v in args.items() if k != "Session"}
    with lock:
        log.append(entry)
    unknown = set(args.keys()) - {"Action", "Session", "SessionDuration"}
    if unknown:
        return bad("Unknown parameter(s): %s (names are case-sensitive)" % ", ".join(sorted(unknown)))
    try:
        session = json.loads(args.get("Session", ""))
    except ValueError:
        return bad("Invalid credentials parameter: Session is not JSON")
    if not isinstance(session, dict) or set(session.keys()) != {"sessionId", "sessionKey", "sessionToken"}:
        return bad("Invalid credentials parameter: Session must have exactly sessionId, sessionKey, sessionToken")
    with lock:
        cred = issued.get(session["sessionToken"])
    if cred is None or cred["key"] != session["sessionId"] or cred["secret"] != session["sessionKey"]:
        return bad("Invalid credentials parameter: unknown or mismatched credentials")
    if cred["kind"] not in ("role", "federation"):
        return bad("Only federation tokens or assume role tokens may be used for federated login")
    console = cred["duration"]
    if "SessionDuration" in args:
        if cred["kind"] == "federation":
            return bad("Invalid credentials parameter: SessionDuration is not allowed with federation token credentials")
        if cred["chained"]:
            return bad("Invalid credentials parameter: SessionDuration is not allowed with role-chained credentials")
        d = args["SessionDuration"]
        if not d.isdigit() or not 900 <= int(d) <= 43200:
            return bad("Invalid credentials parameter: SessionDuration must be 900..43200")
        console = int(d)
    token = secrets.token_urlsafe(48)
    with lock:
        tokens[token] = {"at": now(), "console_seconds": console}
        log[-1]["console_seconds"] = console
    return Response(json.dumps({"SigninToken": token}), content_type="application/json")


def login(args):
    if set(args.keys()) - {"Action", "Issuer", "Destination", "SigninToken"}:
        return bad("Unknown parameter(s)")
    with lock:
        t = tokens.get(args.get("SigninToken", ""))
    if t is None:
        return bad("The credentials in your login link were invalid")
    if now() - t["at"] > 15 * 60:
        return bad("Your sign-in token has expired (they are valid for 15 minutes)")
    dest = args.get("Destination", "")
    if not dest.startswith("https://"):
        return bad("Destination must be an https URL")
    return Response("", status=302, headers={"Location": dest})


@Request.application
def app(req):
    if req.method == "POST" and req.path == "/":
        return proxy(req)
    args = {k: v for k, v in req.args.items()}
    if req.path == "/federation":
        if args.get("Action") == "getSigninToken":
            return get_signin_token(args)
        if args.get("Action") == "login":
            return login(args)
        return bad("Unknown Action")
    if req.path == "/oauth" and args.get("Action") == "logout":
        return Response("", status=302, headers={"Location": args.get("redirect_uri", "")})
    if req.path == "/_fake/log":
        with lock:
            return Response(json.dumps(log), content_type="application/json")
    if req.path == "/_fake/sts":
        with lock:
            return Response(json.dumps(sts_calls[0]), content_type="application/json")
    if req.path == "/_fake/html/federation":
        return Response("<html>sign in</html>", content_type="text/html")
    if req.path == "/_fake/empty/federation":
        return Response("{}", content_type="application/json")
    if req.path == "/_fake/expire-in":
        with lock:
            expire_in[0] = int(args.get("seconds", "0"))
        return Response("ok")
    if req.path == "/_fake/sts-down":
        with lock:
            sts_down[0] = args.get("on") == "1"
        return Response("ok")
    if req.path == "/_fake/advance":
        offset[0] += float(args.get("seconds", "0"))
        return Response("ok")
    return Response("not found", status=404)


if __name__ == "__main__":
    make_server("127.0.0.1", PORT, app, threaded=True).serve_forever()
