"""Batch API: shape, limits, headers, null items, writes in a batch."""

import json


def test_batch_shape(c, sb, main1):
    batch = [{"method": "GET", "relative_url": "%s?fields=username" % main1},
             {"method": "GET", "relative_url": "/v22.0/me"},
             {"method": "GET", "relative_url": "123?fields=id"}]
    r = c.post("/", batch=json.dumps(batch))
    assert r.status_code == 200
    items = r.json()
    assert [i["code"] for i in items] == [200, 200, 400]
    assert json.loads(items[0]["body"])["username"].endswith(".coffee")
    assert json.loads(items[2]["body"])["error"]["error_subcode"] == 33
    names = [h["name"] for h in items[0]["headers"]]
    assert "X-App-Usage" in names and "X-Business-Use-Case-Usage" in names and "Content-Type" in names
    r = c.post("/", batch=json.dumps(batch[:1]), include_headers="false")
    assert set(r.json()[0]) == {"code", "body"}
    st = sb.stats()
    assert st["batches"] == 2 and st["batch_items"] == 4
    assert st["by_endpoint"]["POST /"] == 2 and st["by_endpoint"]["GET /{ig-user-id}"] == 2


def test_batch_limit_50(c, main1):
    ok = c.post("/", batch=json.dumps([{"method": "GET", "relative_url": main1}] * 50))
    assert ok.status_code == 200 and len(ok.json()) == 50
    e = c.err(c.post("/", batch=json.dumps([{"method": "GET", "relative_url": main1}] * 51)), 1)
    assert "50" in e["message"]
    c.err(c.post("/", batch="not json"), 100)


def test_batch_writes_and_item_tokens(c, sb, main1):
    m = c.ok("/%s/media" % main1, limit=50, fields="id,is_comment_enabled")["data"]
    m = next(x for x in m if x["is_comment_enabled"])
    batch = [{"method": "POST", "relative_url": "%s/comments" % m["id"], "body": "message=Batch%20hello"},
             {"method": "GET", "relative_url": "me?access_token=%s" % sb.mint_token("user_long")}]
    r = c.post("/", batch=json.dumps(batch))
    items = r.json()
    assert items[0]["code"] == 200 and items[1]["code"] == 200
    cid = json.loads(items[0]["body"])["id"]
    assert c.ok("/" + cid, fields="text")["text"] == "Batch hello"
    assert sb.writes()[0]["action"] == "comment.create"


def test_batch_null_items_by_fault(c, sb, main1):
    sb.set_faults("batch_null@nth=2")
    r = c.post("/", batch=json.dumps([{"method": "GET", "relative_url": main1}] * 3))
    items = r.json()
    assert items[0]["code"] == 200 and items[1] is None and items[2]["code"] == 200
    sb.set_faults("batch_null@rate=0.5")
    items = c.post("/", batch=json.dumps([{"method": "GET", "relative_url": main1}] * 40)).json()
    nulls = sum(1 for i in items if i is None)
    assert 5 < nulls < 35
