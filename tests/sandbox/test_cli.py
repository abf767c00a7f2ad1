"""The CLI starts the sandbox, prints its URL first and stops on SIGTERM."""

import os
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_cli_start_request_terminate():
    env = dict(os.environ, PYTHONPATH=ROOT)
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "ig_fdw", "sandbox", "--port", "0", "--seed", "4",
                          "--faults", "status=503@nth=2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, cwd=ROOT, text=True)
    try:
        url = p.stdout.readline().strip()
        startup = time.monotonic() - t0
        print("sandbox CLI startup: %.3f s" % startup)   # logged, not asserted
        assert url.startswith("http://127.0.0.1:")
        info = requests.get(url + "/__sandbox/info").json()
        assert info["seed"] == 4
        tok = requests.post(url + "/__sandbox/tokens", json={"kind": "user_long"}).json()["access_token"]
        assert requests.get(url + "/v22.0/me", params={"access_token": tok}).status_code == 200
        assert requests.get(url + "/v22.0/me", params={"access_token": tok}).status_code == 503
    finally:
        p.terminate()
        rc = p.wait(timeout=10)
    assert rc == 0


def test_cli_rejects_bad_fault_spec():
    env = dict(os.environ, PYTHONPATH=ROOT)
    p = subprocess.run([sys.executable, "-m", "ig_fdw", "sandbox", "--port", "0", "--faults", "bogus"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=20)
    assert p.returncode == 2 and "bad --faults" in p.stderr
