"""Benchmark of the sandbox (run on demand, not part of the tests).

    .venv/bin/python bench/sandbox.py [N]

Prints the in-process and CLI startup times and the sequential request rate
over one keep-alive requests.Session for a few small request kinds.
"""

import os
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from ig_fdw.sandbox import Sandbox  # noqa: E402


def rate(session, url, params, n):
    t = time.perf_counter()
    for _ in range(n):
        r = session.get(url, params=params)
        if r.status_code != 200:
            raise SystemExit("unexpected %s: %s" % (r.status_code, r.text[:200]))
    return n / (time.perf_counter() - t)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    t = time.perf_counter()
    sb = Sandbox(seed=1, budget_per_hour=10 ** 9).start()
    s = requests.Session()
    tok = sb.user_token()
    s.get(sb.url + "/v22.0/me", params={"access_token": tok}).raise_for_status()
    print("in-process startup (construct + start + first request): %.3f s" % (time.perf_counter() - t))
    print("server in this process (shares the GIL with the client):")
    try:
        a = sb.accounts[0]
        g = sb.url + "/v22.0"
        print("sequential GET /{ig-user-id}?fields=username          : %7.0f req/s"
              % rate(s, g + "/" + a, {"access_token": tok, "fields": "username"}, n))
        print("sequential GET /me                                   : %7.0f req/s"
              % rate(s, g + "/me", {"access_token": tok}, n))
        print("sequential GET /{ig-user-id}/media (25 rows, 4 fields): %7.0f req/s"
              % rate(s, g + "/%s/media" % a, {"access_token": tok, "fields": "id,caption,timestamp,like_count"},
                     max(1, n // 3)))
    finally:
        sb.stop()
    env = dict(os.environ, PYTHONPATH=ROOT)
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "ig_fdw", "sandbox", "--port", "0"], stdout=subprocess.PIPE,
                         env=env, cwd=ROOT, text=True)
    url = p.stdout.readline().strip()
    first_line = time.perf_counter() - t
    info = requests.get(url + "/__sandbox/info").json()
    print("CLI startup (spawn -> first stdout line): %.3f s (%s)" % (first_line, url))
    try:
        requests.post(url + "/__sandbox/limits", json={"budget_per_hour": 10 ** 9}).raise_for_status()
        tok = requests.post(url + "/__sandbox/tokens", json={"kind": "user_long"}).json()["access_token"]
        a = info["accounts"][0]["id"]
        s = requests.Session()
        print("server in its own process (CLI), client here:")
        print("sequential GET /{ig-user-id}?fields=username          : %7.0f req/s"
              % rate(s, url + "/v22.0/" + a, {"access_token": tok, "fields": "username"}, n))
        print("sequential GET /{ig-user-id}/media (25 rows, 4 fields): %7.0f req/s"
              % rate(s, url + "/v22.0/%s/media" % a, {"access_token": tok, "fields": "id,caption,timestamp,like_count"},
                     max(1, n // 3)))
    finally:
        p.terminate()
        p.wait(timeout=10)


if __name__ == "__main__":
    main()
