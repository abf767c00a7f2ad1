"""The API's clock: the Date header of a host's answers, kept as an offset per host."""

import email.utils
import time

import requests

from ig_fdw.graph import apiclock
from ig_fdw.sandbox import Sandbox


def test_offset_per_host_and_malformed_dates_ignored():
    ahead = time.time() + 30 * 86400
    apiclock.observe("http://api-a.example:1/v22.0/me", email.utils.formatdate(ahead, usegmt=True))
    assert abs(apiclock.now("http://API-A.example:1/other") - ahead) < 5
    assert abs(apiclock.now("http://api-b.example:1/") - time.time()) < 5      # another host: local clock
    apiclock.observe("http://api-a.example:1/", "not a date")
    apiclock.observe("http://api-a.example:1/", None)
    assert abs(apiclock.now("http://api-a.example:1/") - ahead) < 5


def test_sandbox_date_is_its_own_clock():
    with Sandbox(seed=1, port=0) as sb:
        sb.advance_clock(55 * 86400)
        r = requests.get(sb.url + "/__sandbox/clock", timeout=10)
        assert email.utils.parsedate_to_datetime(r.headers["Date"]).timestamp() == sb.now()
        apiclock.observe(sb.url + "/x", r.headers["Date"])
        assert abs(apiclock.clock_for(sb.url)() - sb.now()) < 3
