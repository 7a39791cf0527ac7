"""A faithful fake of IAM Identity Center's two services, for tempcreds' tests: SSO OIDC
(`oidc.REGION.amazonaws.com`) and the SSO portal (`portal.sso.REGION.amazonaws.com`), both
on 127.0.0.1:PORT, for AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO.

Usage: python sso.py PORT MOTO_URL ACCOUNTS_JSON
ACCOUNTS_JSON: [{"accountId", "accountName", "emailAddress", "roles": [names]}, ...]

The shapes are botocore's `sso-oidc` and `sso` service models (rest-json): camelCase
fields; errors carry their type in the `x-amzn-ErrorType` header, which botocore and the
Rust SDK read, and an OAuth-style body for OIDC ({"error": "authorization_pending", ...});
`clientSecretExpiresAt` is epoch seconds, `roleCredentials.expiration` epoch milliseconds;
portal inputs are the query parameters role_name, account_id, next_token, max_result (at
most 100, default page 20) and the header x-amz-sso_bearer_token.

Rules a real service enforces and the fake copies:
- RegisterClient: `grantTypes` with authorization_code makes a PKCE client, which cannot run
  the device flow; a client registered without scopes gets no refresh tokens. Redirect
  URIs are registered without a port (`http://127.0.0.1/oauth/callback`) and any port
  matches on /authorize (RFC 8252, loopback redirects).
- Device flow: pending until approved (hook), SlowDownException when polled faster than the
  interval, ExpiredTokenException after expiresIn.
- Authorization code: /authorize (query `scopes`, S256 `code_challenge` unpadded, `state`)
  redirects to the redirect URI with code and state; a code is single-use, bound to its
  client and redirect URI, and the verifier must hash to the challenge.
- Refresh: a known refresh token of that client gives a new access token and a new
  refresh token (the old one stops working).
- Portal: GetRoleCredentials mints credentials by AssumeRole on moto (so moto accepts
  them) for assigned roles only (ForbiddenException otherwise); unknown, expired or logged
  out tokens are UnauthorizedException.

Test hooks: /_fake/approve?user_code=X, /_fake/log (the calls, in order, without
secrets), /_fake/token-life?seconds=N (access tokens issued from now on),
/_fake/device-life?seconds=N (device codes issued from now on), /_fake/page-cap?n=N (pages
of at most N, whatever max_result asks), /_fake/expire
(every access token issued so far expires now), /_fake/throttle?on=1|0 (the portal
answers TooManyRequestsException), PUT /_fake/accounts (replace the assignments).
"""
import base64
import hashlib
import json
import secrets
import sys
import threading
import time
import urllib.parse

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

PORT, MOTO, ACCOUNTS = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]
lock = threading.Lock()
accounts = json.load(open(ACCOUNTS))
clients = {}   # clientId -> {"secret", "pkce", "scopes", "redirects"}
devices = {}   # deviceCode -> {"client", "user_code", "expires", "approved", "last_poll", "interval"}
codes = {}     # auth code -> {"client", "redirect", "challenge"}
access = {}    # access token -> {"expires", "client"}
refresh = {}   # refresh token -> client id
log = []
token_life = [28800]
device_life = [600]
page_cap = [100]
throttle = [False]
sts = boto3.client("sts", endpoint_url=MOTO, region_name="us-east-1",
                   aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                   aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


class Response:
    def __init__(self, body="", status=200, headers=None, content_type="text/plain"):
        self.body, self.status = body.encode(), status
        self.headers = dict(headers or {}, **{"Content-Type": content_type})


def reply(body, status=200, headers=None):
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json")


def oidc_error(kind, oauth, description, status=400):
    return reply({"error": oauth, "error_description": description}, status,
                 {"x-amzn-ErrorType": kind + ":http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"})


def portal_error(kind, message, status):
    return reply({"message": message}, status, {"x-amzn-ErrorType": kind})


def issue_token(client_id):
    token = "at-" + secrets.token_urlsafe(24)
    access[token] = {"expires": time.time() + token_life[0], "client": client_id}
    body = {"accessToken": token, "tokenType": "Bearer", "expiresIn": token_life[0]}
    if clients[client_id]["scopes"]:
        rt = "rt-" + secrets.token_urlsafe(24)
        refresh[rt] = client_id
        body["refreshToken"] = rt
    return reply(body)


def register(body):
    if not body.get("clientName") or body.get("clientType") != "public":
        return oidc_error("InvalidClientMetadataException", "invalid_client_metadata",
                          "clientName and clientType=public are required")
    grants = body.get("grantTypes") or []
    pkce = "authorization_code" in grants
    if pkce and not body.get("redirectUris"):
        return oidc_error("InvalidRedirectUriException", "invalid_redirect_uri",
                          "a client for authorization_code needs redirectUris")
    cid, secret = "client-" + secrets.token_hex(8), "secret-" + secrets.token_urlsafe(24)
    clients[cid] = {"secret": secret, "pkce": pkce, "scopes": body.get("scopes") or [],
                    "redirects": body.get("redirectUris") or []}
    now = int(time.time())
    out = {"clientId": cid, "clientSecret": secret, "clientIdIssuedAt": now,
           "clientSecretExpiresAt": now + 90 * 86400}
    if pkce:
        base = "http://127.0.0.1:%d" % PORT
        out.update(authorizationEndpoint=base + "/authorize", tokenEndpoint=base + "/token")
    return reply(out)


def client_of(body):
    c = clients.get(body.get("clientId"))
    if not c or c["secret"] != body.get("clientSecret"):
        return None
    return c


def start_device(body):
    c = client_of(body)
    if c is None:
        return oidc_error("InvalidClientException", "invalid_client", "unknown client")
    if c["pkce"]:
        return oidc_error("UnauthorizedClientException", "unauthorized_client",
                          "this client is registered for authorization_code")
    code, user = "dc-" + secrets.token_urlsafe(24), secrets.token_hex(2).upper() + "-" + secrets.token_hex(2).upper()
    devices[code] = {"client": body["clientId"], "user_code": user, "expires": time.time() + device_life[0],
                     "approved": False, "last_poll": 0.0, "interval": 1}
    uri = "http://127.0.0.1:%d/device" % PORT
    return reply({"deviceCode": code, "userCode": user, "verificationUri": uri,
                  "verificationUriComplete": uri + "?user_code=" + user,
                  "expiresIn": device_life[0], "interval": 1})


def loopback_match(registered, given):
    r, g = urllib.parse.urlsplit(registered), urllib.parse.urlsplit(given)
    return (r.scheme, r.hostname, r.path) == (g.scheme, g.hostname, g.path) and (
        r.port is None or r.port == g.port)


def token(body):
    c = client_of(body)
    if c is None:
        return oidc_error("InvalidClientException", "invalid_client", "unknown client", 401)
    grant = body.get("grantType")
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        d = devices.get(body.get("deviceCode"))
        if not d or d["client"] != body["clientId"]:
            return oidc_error("InvalidGrantException", "invalid_grant", "unknown device code")
        now = time.time()
        if now > d["expires"]:
            return oidc_error("ExpiredTokenException", "expired_token", "the device code expired")
        too_soon = now - d["last_poll"] < d["interval"]
        d["last_poll"] = now
        if too_soon:
            d["interval"] += 5
            return oidc_error("SlowDownException", "slow_down", "polled too often")
        if not d["approved"]:
            return oidc_error("AuthorizationPendingException", "authorization_pending", "not approved yet")
        del devices[body["deviceCode"]]
        return issue_token(body["clientId"])
    if grant == "authorization_code":
        a = codes.pop(body.get("code"), None)
        if not a or a["client"] != body["clientId"] or a["redirect"] != body.get("redirectUri"):
            return oidc_error("InvalidGrantException", "invalid_grant", "unknown, used or mismatched code")
        digest = hashlib.sha256((body.get("codeVerifier") or "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != a["challenge"]:
            return oidc_error("InvalidGrantException", "invalid_grant", "code_verifier does not match")
        return issue_token(body["clientId"])
    if grant == "refresh_token":
        if refresh.get(body.get("refreshToken")) != body["clientId"]:
            return oidc_error("InvalidGrantException", "invalid_grant", "unknown refresh token")
        del refresh[body["refreshToken"]]
        return issue_token(body["clientId"])
    return oidc_error("UnsupportedGrantTypeException", "unsupported_grant_type", str(grant))


def authorize(args):
    c = clients.get(args.get("client_id"))
    redirect = args.get("redirect_uri", "")
    if not c or not c["pkce"] or not any(loopback_match(r, redirect) for r in c["redirects"]):
        return Response("unknown client or redirect_uri", status=400)
    if args.get("response_type") != "code" or args.get("code_challenge_method") != "S256" \
            or not args.get("code_challenge") or "=" in args.get("code_challenge") \
            or not args.get("state") or not args.get("scopes"):
        return Response("response_type=code, S256 code_challenge (unpadded), state and scopes are required", status=400)
    code = "ac-" + secrets.token_urlsafe(24)
    codes[code] = {"client": args["client_id"], "redirect": redirect, "challenge": args["code_challenge"]}
    q = urllib.parse.urlencode({"code": code, "state": args["state"]})
    return Response("", status=302, headers={"Location": redirect + "?" + q})


def bearer(req):
    t = access.get(req.headers.get("x-amz-sso_bearer_token", ""))
    return t is not None and time.time() < t["expires"]


def page(items, args, key):
    try:
        size = int(args.get("max_result", "20"))
    except ValueError:
        size = 0
    if not 1 <= size <= 100:
        return portal_error("InvalidRequestException", "max_result must be 1..100", 400)
    size = min(size, page_cap[0])
    start = int(args.get("next_token") or 0)
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["nextToken"] = str(start + size)
    return reply(out)


def portal(req, path):
    if throttle[0]:
        return portal_error("TooManyRequestsException", "Rate exceeded", 429)
    if not bearer(req):
        return portal_error("UnauthorizedException", "Session token not found or invalid", 401)
    args = req.args
    if path == "/logout" and req.method == "POST":
        access.pop(req.headers["x-amz-sso_bearer_token"], None)
        return Response("", status=200)
    if path == "/assignment/accounts":
        items = [{k: a[k] for k in ("accountId", "accountName", "emailAddress")} for a in accounts]
        return page(items, args, "accountList")
    account = next((a for a in accounts if a["accountId"] == args.get("account_id")), None)
    if path == "/assignment/roles":
        if account is None:
            return portal_error("ResourceNotFoundException", "No account found", 404)
        items = [{"roleName": r, "accountId": account["accountId"]} for r in account["roles"]]
        return page(items, args, "roleList")
    if path == "/federation/credentials":
        role = args.get("role_name")
        if account is None or role not in account["roles"]:
            return portal_error("ForbiddenException", "No access", 403)
        c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/%s" % (account["accountId"], role),
                            RoleSessionName="sso-user")["Credentials"]
        return reply({"roleCredentials": {
            "accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"],
            "sessionToken": c["SessionToken"],
            "expiration": int(c["Expiration"].timestamp() * 1000)}})
    return portal_error("InvalidRequestException", "no such operation", 404)


def fake(req, path):
    args = req.args
    if path == "/_fake/approve":
        for d in devices.values():
            if d["user_code"] == args.get("user_code"):
                d["approved"] = True
                return reply({"approved": True})
        return reply({"approved": False}, 404)
    if path == "/_fake/log":
        return reply(log)
    if path == "/_fake/token-life":
        token_life[0] = int(args["seconds"])
    elif path == "/_fake/page-cap":
        page_cap[0] = int(args["n"])
    elif path == "/_fake/device-life":
        device_life[0] = int(args["seconds"])
    elif path == "/_fake/expire":
        for t in access.values():
            t["expires"] = time.time() - 1
    elif path == "/_fake/throttle":
        throttle[0] = args.get("on") == "1"
    elif path == "/_fake/accounts" and req.method == "PUT":
        accounts[:] = json.loads(req.get_data())
    else:
        return Response("no such hook", status=404)
    return reply({"ok": True})


OIDC = {"/client/register": register, "/device_authorization": start_device, "/token": token}


def app(req):
    path = req.path
    with lock:
        if path.startswith("/_fake/"):
            return fake(req, path)
        if req.method == "POST" and path in OIDC:
            body = json.loads(req.body or b"{}")
            log.append({"op": path, "grantType": body.get("grantType")})
            return OIDC[path](body)
        if path == "/authorize" and req.method == "GET":
            log.append({"op": path})
            return authorize(req.args)
        log.append({"op": path, "query": dict(req.args)})
        return portal(req, path)


class Req:
    """What a handler reads. http.server, not werkzeug: werkzeug drops headers whose name
    has an underscore, and the portal's token comes in x-amz-sso_bearer_token."""

    def __init__(self, handler, method):
        url = urllib.parse.urlsplit(handler.path)
        self.method, self.path, self.headers = method, url.path, handler.headers
        self.args = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        self.body = handler.rfile.read(length) if length else b""

    def get_data(self):
        return self.body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, method):
        r = app(Req(self, method))
        self.send_response(r.status)
        for k, v in r.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(r.body)))
        self.end_headers()
        self.wfile.write(r.body)

    def do_GET(self):
        self.answer("GET")

    def do_POST(self):
        self.answer("POST")

    def do_PUT(self):
        self.answer("PUT")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print("ready", flush=True)
    server.serve_forever()
