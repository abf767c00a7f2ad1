"""`ig-fdw doctor`: each check fails the way it should, with what to do."""

import os
import stat

import pytest

from ig_fdw import doctor, options
from ig_fdw.sandbox import Sandbox
from tests.pg import ROOT, server_pythonpath


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=1, port=0, budget_per_hour=100000) as s:
        yield s


def opts_for(sb, **extra):
    base = {"graph_url": sb.url, "oauthclientid": sb.app_id, "oauthclientsecret": sb.app_secret,
            "initiateoauth": "OFF", "oauthaccesstoken": sb.user_token(), "businessaccountid": sb.accounts[0]}
    base.update({k.lower(): v for k, v in extra.items()})
    return options.resolve(base)


def test_all_checks_pass(sb):
    checks = doctor.run(opts_for(sb), pythonpath=server_pythonpath())
    assert [c.ok for c in checks] == [True] * 5, doctor.render(checks)
    assert sb.user_token() not in doctor.render(checks)


def test_runtime_missing(tmp_path):
    fake = tmp_path / "pg_config"
    fake.write_text("#!/bin/sh\necho %s\n" % tmp_path)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    check = doctor.check_runtime(str(fake))
    assert not check.ok and "make -C pgext install" in check.fix


def test_python_cannot_import(tmp_path):
    check = doctor.check_python("/usr/bin/python3", pythonpath=str(tmp_path))
    assert not check.ok
    assert "ModuleNotFoundError" in check.detail and "PYTHONPATH" in check.fix


def _by_name(opts):
    return {c.name: c for c in doctor.check_connection(opts)}


def test_settings_missing_and_tampered(sb, tmp_path):
    opts = opts_for(sb, initiateoauth="REFRESH", oauthsettingslocation=str(tmp_path / "s.txt"), oauthaccesstoken="")
    checks = doctor.check_connection(opts)
    assert [c.name for c in checks] == ["settings file"]     # nothing else can be checked without it
    check = checks[0]
    assert not check.ok and "does not exist" in check.detail and "ig-fdw login" in check.fix
    (tmp_path / "s.txt").write_text("not an ig_fdw settings file")
    check = doctor.check_connection(opts)[0]
    assert not check.ok
    assert (tmp_path / "s.txt").read_text() == "not an ig_fdw settings file"


def test_token_invalid(sb):
    checks = _by_name(opts_for(sb, oauthaccesstoken="EAAbogus"))
    check = checks["token valid"]
    assert not check.ok and "business account reachable" not in checks
    assert "EAAbogus" not in check.detail + check.fix


def test_account_unreachable(sb):
    check = _by_name(opts_for(sb, businessaccountid="17841400000000000"))["business account reachable"]
    assert not check.ok and "ig-fdw accounts" in check.fix
    assert "is not an Instagram business account this token can see" in check.detail
    assert sb.accounts[0] in check.detail and "SET BusinessAccountId '%s'" % sb.accounts[0] in check.fix


def test_cli_doctor_exit_codes(sb):
    import subprocess
    import sys
    conn = "InitiateOAuth=OFF;graph_url=%s;OAuthClientId=%s;BusinessAccountId=%s" % (sb.url, sb.app_id, sb.accounts[0])
    env = dict(os.environ, IG_FDW_OAUTHACCESSTOKEN=sb.user_token(), IG_FDW_OAUTHCLIENTSECRET=sb.app_secret)
    for v in doctor.PG_ENV:   # PG* variables would make doctor ask a server instead
        env.pop(v, None)
    ok = subprocess.run([sys.executable, "-m", "ig_fdw", "doctor", "--connection", conn,
                         "--pythonpath", server_pythonpath()], capture_output=True, text=True, env=env, cwd=ROOT)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("[ok]") == 5 and sb.user_token() not in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "ig_fdw", "doctor", "--connection",
                          conn.replace(sb.accounts[0], "17841400000000000"), "--pythonpath", server_pythonpath()],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert bad.returncode == 1 and "[FAIL] business account reachable" in bad.stdout
    assert "what to do:" in bad.stdout
