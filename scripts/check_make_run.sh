#!/usr/bin/env bash
# The README's first command on a fresh clone: clone HEAD into a temp dir (no var/, no
# .venv), run `make run` there, wait for /healthz, sign in once through the bundled fake
# TikTok (the native-SDK code flow: a code minted by the fake, then POST connect), check the
# answer is a 200 with a JWT, and stop everything. Exits non-zero, with the log, otherwise.
#
# `make run` installs its own .venv in the clone, as it does for a newcomer (pip finds the
# wheels in its cache or PIP_FIND_LINKS). Free ports, so a running `make run` is no obstacle.
set -euo pipefail
cd "$(dirname "$0")/.."

STARTUP_SECONDS=${CHECK_MAKE_RUN_TIMEOUT:-600}  # the install included
tmp=$(mktemp -d)
server_pid=""

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop() {
  if [ -n "$server_pid" ]; then
    # make, the devserver, runserver and the fake TikTok: the whole process group.
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

fail() {
  echo "check_make_run: FAILED: $*" >&2
  echo "---- make run's output ----" >&2
  tail -n 80 "$tmp/make-run.log" >&2 || true
  exit 1
}

trap 'stop; rm -rf "$tmp"' EXIT

git clone -q "$PWD" "$tmp/clone"
test ! -e "$tmp/clone/var" || fail "the clone already has var/"

site_port=$(free_port)
fake_port=$(free_port)
site="http://127.0.0.1:$site_port"
fake="http://127.0.0.1:$fake_port"

# A session of its own: its pid is the process group that stop() ends.
(
  cd "$tmp/clone"
  # Only what a newcomer has: no TikTok credentials, no database or cache URL.
  exec env -u TIKTOK_CLIENT_KEY -u DATABASE_URL -u REDIS_URL -u DJANGO_SETTINGS_MODULE \
    DEV_PORT="$site_port" FAKE_TIKTOK_PORT="$fake_port" setsid make run
) >"$tmp/make-run.log" 2>&1 &
server_pid=$!

echo "check_make_run: make run in a fresh clone of HEAD; waiting for $site/healthz"
deadline=$((SECONDS + STARTUP_SECONDS))
until python3 - "$site/healthz" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as reply:
    sys.exit(0 if reply.status == 200 else 1)
EOF
do
  kill -0 "$server_pid" 2>/dev/null || fail "make run exited before serving"
  [ "$SECONDS" -lt "$deadline" ] || fail "no 200 from /healthz within $STARTUP_SECONDS s"
  sleep 1
done
grep -q "NO TIKTOK CREDENTIALS CONFIGURED" "$tmp/make-run.log" || fail "no fake TikTok banner"

# One sign-in through the fake: the code + PKCE verifier a native TikTok SDK hands an app.
python3 - "$site" "$fake" <<'EOF' || fail "the sign-in through the fake TikTok failed"
import hashlib, json, sys, urllib.error, urllib.request

site, fake = sys.argv[1:]
redirect_uri = f"{site}/dev/app-link/"  # make run's TIKTOK_APP_REDIRECT_URIS
verifier = "check-make-run-verifier-0123456789abcdef0123456789"
challenge = hashlib.sha256(verifier.encode()).hexdigest()  # TikTok's hex S256


def post(url, body):
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


status, minted = post(
    f"{fake}/_fake/codes",
    {"open_id": "fake-open-alice", "redirect_uri": redirect_uri, "code_challenge": challenge},
)
assert status == 200, f"the fake minted no code: {status} {minted}"
body = {"code": minted["code"], "code_verifier": verifier, "redirect_uri": redirect_uri}
status, answer = post(f"{site}/api/tiktok-auth-mobile/connect", body)
assert status == 200, f"connect answered {status}: {answer}"
assert answer["jwt"].count(".") == 2 and answer["refresh"], "no JWT pair in the answer"
assert answer["user"]["tiktok"]["union_id"] == "fake-union-alice", answer["user"]
print(f"check_make_run: signed in as user {answer['user']['id']} ({answer['user']['email']})")
EOF

test -f "$tmp/clone/var/db.sqlite3" || fail "no var/db.sqlite3 in the clone"
stop
echo "check_make_run: OK"
