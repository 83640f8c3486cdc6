"""Schemathesis hooks for Clubroom, and the first-run setup the fuzz run starts from.

`python clubroom_fuzz.py setup` completes the first-run setup of a fresh server (reading the
one-time setup link from its log), then stores a few records of each kind so that the fuzzer
meets real ids and states. Loaded by schemathesis (SCHEMATHESIS_HOOKS=clubroom_fuzz), the
module signs the fuzzer in with an API token and signs it in again when the fuzzer's own
requests ended that token (logging out, revoking sessions, turning login codes on): the login
code, when one is asked for, is read from the server's console mail in its log.
"""

import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ["CLUBROOM_FUZZ_BASE"].rstrip("/")
LOG = os.environ["CLUBROOM_FUZZ_LOG"]
USER = "fuzzadmin"
EMAIL = "fuzzadmin@example.org"
PASSWORD = "correct horse battery staple 42"


def call(method, path, body=None, token=None, opener=None, form=None):
    """One request; returns (status, parsed JSON or text)."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        response = (opener or urllib.request.build_opener()).open(request, timeout=30)
        status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def log_text():
    with open(LOG, encoding="utf-8", errors="replace") as f:
        return f.read()


def latest_code():
    """The newest login code the console mailer printed for the fuzzer's address."""
    mails = log_text().split("----- email (console")
    for mail in reversed(mails):
        if f"To: {EMAIL}" in mail:
            found = re.search(r"^\s+(\d{6,8})\s*$", mail, re.MULTILINE)
            if found:
                return found.group(1)
    return None


def sign_in():
    """A fresh access token for the fuzzer's admin account, through a login code if asked."""
    for attempt in range(20):
        status, body = call("POST", "/api/v1/auth/token", {"login": USER, "password": PASSWORD})
        if status == 200 and isinstance(body, dict) and body.get("two_factor_required"):
            time.sleep(0.5)  # the code is queued, then printed by the mail worker
            for _ in range(40):
                code = latest_code()
                if code:
                    status, body = call(
                        "POST",
                        "/api/v1/auth/login/verify",
                        {"challenge": body["challenge"], "code": code},
                    )
                    break
                time.sleep(0.25)
        if status == 200 and isinstance(body, dict) and "access_token" in body:
            return body["access_token"]
        time.sleep(min(2 ** attempt * 0.1, 5))
    raise RuntimeError(f"the fuzzer could not sign in: {status} {body}")


def setup():
    link = None
    for _ in range(200):
        found = re.search(r"(https?://\S+/setup/\S+)", log_text())
        if found:
            link = found.group(1)
            break
        time.sleep(0.1)
    if not link:
        sys.exit("no setup link in the server's log")
    path = urllib.parse.urlparse(link).path
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = call("GET", path, opener=opener)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if status != 200 or not csrf:
        sys.exit(f"the setup page did not open: {status}")
    fields = {
        "csrf_token": csrf.group(1),
        "club_name": "Fuzz Club",
        "username": USER,
        "email": EMAIL,
        "password": PASSWORD,
    }
    status, _ = call("POST", path, form=fields, opener=opener)
    if status >= 400:
        sys.exit(f"the first-run setup failed: {status}")
    seed(sign_in())


def seed(token):
    """A few records of each kind, so that ids 1, 2, ... exist and states vary."""
    soon = time.strftime("%Y-%m-%dT10:00:00Z", time.gmtime(time.time() + 7 * 86400))
    past = time.strftime("%Y-%m-%dT10:00:00Z", time.gmtime(time.time() - 86400))
    close = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 20 * 86400))
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 30 * 86400))

    def step(method, path, body=None):
        body = body if body is not None or method == "GET" else {}
        status, answer = call(method, path, body, token=token)
        print(f"  seed {'ok ' if status < 400 else 'n/a'} {status} {method} {path}")
        return answer if status < 400 else {}

    step("POST", "/api/v1/admin/invites", {"roles": ["member"], "max_uses": 5})
    step("POST", "/api/v1/admin/invites", {"name": "Ida", "email": "ida@example.org", "roles": ["member"]})
    step("POST", "/api/v1/admin/members", {"email": "kim@example.org", "first_name": "Kim", "last_name": "Lee", "roles": ["member"]})
    step("POST", "/api/v1/admin/profile-fields", {"key": "shoe_size", "label": "Shoe size", "kind": "number", "visibility": "members"})
    step("PUT", "/api/v1/admin/agreement", {"title": "Club rules", "body": "Be kind."})
    step("POST", "/api/v1/admin/services", {"name": "Coaching", "duration_minutes": 60})
    step("POST", "/api/v1/bookings", {"service_id": 1, "requested_start": soon})
    step("POST", "/api/v1/bookings", {"service_id": 1, "requested_start": soon, "notes": "second"})
    step("POST", "/api/v1/admin/bookings/2/confirm", {"message": "See you"})
    types = step("GET", "/api/v1/activity-types")
    kind = types[0]["key"] if isinstance(types, list) and types else "training"
    step("POST", "/api/v1/activities", {"started_at": past, "duration_minutes": 45, "type": kind, "format": "solo"})
    step("POST", "/api/v1/card/share")
    step("POST", "/api/v1/calendar-feed")
    step("POST", "/api/v1/conversations", {"name": "Committee", "member_ids": []})
    step("POST", "/api/v1/conversations/1/messages", {"content": "Hello"})
    step("POST", "/api/v1/admin/messages", {"subject": "Welcome", "body": "Hello all", "to": "all", "email": False})
    exchange = step("POST", "/api/v1/exchanges", {"name": "Winter gifts", "registration_close_date": close, "exchange_date": day})
    slug = exchange.get("slug", "none")
    step("POST", "/api/v1/exchanges/1/open")
    step("POST", f"/api/v1/exchanges/{slug}/register", {"name": "Ann", "email": "ann@example.org"})
    step("POST", f"/api/v1/exchanges/{slug}/register", {"name": "Bo", "email": "bo@example.org"})
    step("POST", f"/api/v1/exchanges/{slug}/join", {"gift_ideas": "Books"})
    step("POST", "/api/v1/exchanges/1/exclusions", {"participant_a": 1, "participant_b": 2})
    step("POST", "/api/v1/admin/backups")


try:
    import schemathesis
except ImportError:  # run as the setup script without schemathesis installed
    schemathesis = None

if schemathesis is not None:

    # The fuzzer's token, when it was last seen working, and whether a request made with it
    # was just refused as an invalid token.
    STATE = {"token": None, "checked": 0.0, "stale": True}

    @schemathesis.auth(refresh_interval=None, retry_on=[])
    class FuzzerToken:
        """The same token for every request while it works. Once a request made with it is
        refused as `invalid_token` (the fuzzer logged itself out, revoked its sessions, ...),
        the next request checks it and signs in again if it is really gone. A 401 alone is no
        reason to sign in again: most are the answers under test."""

        def get(self, case, ctx):
            now = time.monotonic()
            if STATE["token"] and not STATE["stale"] and now - STATE["checked"] < 5:
                return STATE["token"]
            if STATE["token"]:
                status, _ = call("GET", "/api/v1/auth/check", token=STATE["token"])
                if status != 200:
                    STATE["token"] = None
            if not STATE["token"]:
                STATE["token"] = sign_in()
            STATE.update(checked=now, stale=False)
            return STATE["token"]

        def set(self, case, data, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"

    @schemathesis.hook
    def after_call(context, case, response):
        sent = (case.headers or {}).get("Authorization")
        if response.status_code == 401 and STATE["token"] and sent == f"Bearer {STATE['token']}":
            STATE["stale"] = True


if __name__ == "__main__" and sys.argv[1:] == ["setup"]:
    setup()


# serde's words for a body of the wrong shape; the app's own rules speak in sentences.
SHAPE_ERRORS = re.compile(
    r"^(invalid type|invalid value|invalid length|unknown field|missing field|unknown variant|data did not match)"
)

if schemathesis is not None:

    @schemathesis.check
    def body_shape_conformance(ctx, response, case):
        """A body that matches its schema is never refused for its shape: the schema states
        the input structs' fields and types exactly."""
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return None
        if response.status_code != 422 or case.body is None or not isinstance(case.body, dict):
            return None
        try:
            fields = response.json()["error"]["fields"]
        except (ValueError, KeyError, TypeError):
            return None
        wrong = {k: v for k, v in fields.items() if isinstance(v, str) and SHAPE_ERRORS.match(v)}
        if wrong:
            raise AssertionError(f"A schema-valid body was refused for its shape: {wrong}")
        return None
