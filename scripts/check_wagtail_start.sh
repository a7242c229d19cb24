#!/usr/bin/env bash
# docs/installing.md on a new site: install the built wheel into a new virtualenv, make a
# site with `wagtail start mysite`, append the code blocks of docs/installing.md that begin
# with `# append to <file>` to those files (the ports swapped for free ones), migrate, check,
# run the bundled fake TikTok and the site (runserver), and sign in once through the native
# SDK code flow: connect answers 200 with a JWT pair, and `me` answers with that JWT.
# Exits non-zero, with the logs, otherwise; so the installation steps cannot rot.
#
# Usage: scripts/check_wagtail_start.sh [dist/tiktok_mobile_auth-*.whl]
# Without an argument, it uses the one wheel in dist/ (`make package` builds it).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
STARTUP_SECONDS=${CHECK_WAGTAIL_START_TIMEOUT:-120}
wheel=${1:-$(ls dist/tiktok_mobile_auth-*.whl 2>/dev/null || true)}
[ -f "$wheel" ] && [ "$(echo "$wheel" | wc -l)" -eq 1 ] || {
  echo "check_wagtail_start: give one wheel, or run make package first" >&2
  exit 2
}
wheel=$(realpath "$wheel")
docs=$(realpath docs/installing.md)
tmp=$(mktemp -d)
pids=()

stop() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  pids=()
}

fail() {
  echo "check_wagtail_start: FAILED: $*" >&2
  for log in "$tmp"/*.log; do
    [ -f "$log" ] || continue
    echo "---- $(basename "$log") ----" >&2
    tail -n 40 "$log" >&2
  done
  exit 1
}

trap 'stop; rm -rf "$tmp"' EXIT

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "check_wagtail_start: $(basename "$wheel") into a new virtualenv and a new wagtail start site"
"$PYTHON" -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check "$wheel" >"$tmp/pip.log" 2>&1 ||
  fail "pip install of the wheel"
"$py" -c 'import django, wagtail; print("check_wagtail_start: Django", django.__version__, "Wagtail", wagtail.__version__)'

mkdir "$tmp/site"
"$tmp/venv/bin/wagtail" start mysite "$tmp/site" >"$tmp/wagtail-start.log" 2>&1 || fail "wagtail start"

site_port=$(free_port)
fake_port=$(free_port)
site="http://127.0.0.1:$site_port"
fake="http://127.0.0.1:$fake_port"

# The documented blocks, appended as written; only the example ports become the free ones.
"$py" - "$docs" "$tmp/site" "$site_port" "$fake_port" <<'EOF' || fail "the blocks of docs/installing.md"
import re, sys
from pathlib import Path

docs, site, site_port, fake_port = sys.argv[1:]
text = Path(docs).read_text()
blocks = re.findall(r"```python\n# append to (\S+)\n(.*?)```", text, re.S)
assert {name for name, _ in blocks} >= {"mysite/settings/base.py", "mysite/urls.py"}, blocks
for name, code in blocks:
    code = code.replace("127.0.0.1:8000", f"127.0.0.1:{site_port}")
    code = code.replace("127.0.0.1:8765", f"127.0.0.1:{fake_port}")
    with open(Path(site) / name, "a") as target:
        target.write("\n# From docs/installing.md\n" + code)
    print(f"check_wagtail_start: appended {len(code.splitlines())} lines to {name}")
EOF

cd "$tmp/site"
env -u DJANGO_SETTINGS_MODULE -u DATABASE_URL -u REDIS_URL "$py" manage.py migrate --no-input \
  >"$tmp/migrate.log" 2>&1 || fail "migrate"
env -u DJANGO_SETTINGS_MODULE "$py" manage.py check >"$tmp/check.log" 2>&1 || fail "manage.py check"
if grep -q "tiktok_mobile_auth.W012" "$tmp/check.log"; then fail "the login button is missing (W012)"; fi

"$py" -m tiktok_mobile_auth.testing --port "$fake_port" >"$tmp/fake.log" 2>&1 &
pids+=($!)
env -u DJANGO_SETTINGS_MODULE "$py" manage.py runserver --noreload "127.0.0.1:$site_port" \
  >"$tmp/runserver.log" 2>&1 &
pids+=($!)

echo "check_wagtail_start: waiting for $site/admin/login/ and $fake"
deadline=$((SECONDS + STARTUP_SECONDS))
until grep -q "FAKE TIKTOK LISTENING" "$tmp/fake.log" &&
  "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
    "$site/admin/login/" 2>/dev/null; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a server exited"; done
  [ "$SECONDS" -lt "$deadline" ] || fail "not serving within $STARTUP_SECONDS s"
  sleep 1
done

"$py" - "$site" "$fake" <<'EOF' || fail "the sign-in through the fake TikTok"
import hashlib, json, sys, urllib.error, urllib.request

site, fake = sys.argv[1:]
redirect_uri = "https://app.example.com/tiktok/android"  # APP_REDIRECT_URIS of the docs
verifier = "check-wagtail-start-verifier-0123456789abcdef012345"
challenge = hashlib.sha256(verifier.encode()).hexdigest()  # TikTok's hex S256


def call(url, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


status, login_page = call(f"{site}/admin/login/")
assert status == 200 and 'id="tiktok-admin-login"' in login_page, "no TikTok button on the login page"
status, minted = call(
    f"{fake}/_fake/codes",
    {"open_id": "fake-open-alice", "redirect_uri": redirect_uri, "code_challenge": challenge},
)
assert status == 200, f"the fake minted no code: {status} {minted}"
body = {"code": json.loads(minted)["code"], "code_verifier": verifier, "redirect_uri": redirect_uri}
status, answer = call(f"{site}/api/tiktok-auth-mobile/connect", body)
assert status == 200, f"connect answered {status}: {answer}"
answer = json.loads(answer)
assert answer["jwt"].count(".") == 2 and answer["refresh"], "no JWT pair in the answer"
status, me = call(f"{site}/api/tiktok-auth-mobile/me", token=answer["jwt"])
assert status == 200, f"me answered {status}: {me}"
me = json.loads(me)
assert me["id"] == answer["user"]["id"], (me, answer["user"])
assert me["tiktok"]["union_id"] == "fake-union-alice", me
print(f"check_wagtail_start: signed in as user {me['id']}; me answers with the JWT")
EOF

stop
echo "check_wagtail_start: OK"
