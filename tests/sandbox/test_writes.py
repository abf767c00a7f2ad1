"""Comments, replies, hide/unhide, deletes, comment_enabled, the write log."""

from tests.sandbox.conftest import first_media


def test_create_comment_and_read_back(c, sb, main1):
    m = first_media(c, main1, lambda m: m["is_comment_enabled"] and m["comments_count"] > 0)
    r = c.post("/%s/comments" % m["id"], message="Thank you so much ☕ #coffee")
    assert r.status_code == 200 and set(r.json()) == {"id"}
    cid = r.json()["id"]
    got = c.ok("/" + cid, fields="id,text,username,media{id},hidden,like_count")
    assert got["text"] == "Thank you so much ☕ #coffee" and got["media"]["id"] == m["id"]
    assert got["hidden"] is False and got["like_count"] == 0
    after = c.ok("/" + m["id"], fields="comments_count")["comments_count"]
    assert after == m["comments_count"] + 1
    first = c.ok("/%s/comments" % m["id"])["data"][0]
    assert first["id"] == cid  # newest first
    w = sb.writes()[-1]
    assert w["action"] == "comment.create" and w["ids"]["comment_id"] == cid
    assert w["request"]["method"] == "POST" and "access_token" not in w["request"]["params"]


def test_comment_rules(c, main1):
    m = first_media(c, main1, lambda m: m["is_comment_enabled"])
    for bad in ("x" * 301, "#a #b #c #d #e", "see https://a.example/x and https://b.example/y",
                "THIS IS ALL CAPS", ""):
        e = c.err(c.post("/%s/comments" % m["id"], message=bad), 100)
        assert e["message"].startswith("(#100)")
    assert c.post("/%s/comments" % m["id"], message="x" * 300).status_code == 200
    assert c.post("/%s/comments" % m["id"], message="#a #b #c #d ok").status_code == 200
    assert c.post("/%s/comments" % m["id"], message="OK thanks").status_code == 200
    disabled = first_media(c, main1, lambda m: not m["is_comment_enabled"])
    c.err(c.post("/%s/comments" % disabled["id"], message="hello"), 100)


def test_replies_rules(c, sb, main1):
    m = first_media(c, main1, lambda m: m["is_comment_enabled"] and m["comments_count"] > 3)
    top = c.ok("/%s/comments" % m["id"], fields="id,hidden,username")["data"]
    own = sb.info()["accounts"][0]["username"]
    target = next(t for t in top if not t["hidden"] and t["username"] != own)
    r = c.post("/%s/replies" % target["id"], message="Thanks for visiting!")
    assert r.status_code == 200
    rid = r.json()["id"]
    assert c.ok("/" + rid, fields="parent_id")["parent_id"] == target["id"]
    reps = c.ok("/%s/replies" % target["id"], fields="id,text")["data"]
    assert reps[-1]["id"] == rid
    # a reply to a reply lands on the top-level comment
    r2 = c.post("/%s/replies" % rid, message="and again")
    assert c.ok("/" + r2.json()["id"], fields="parent_id")["parent_id"] == target["id"]
    # hidden comments take no replies
    assert c.post("/" + target["id"], hide="true").json() == {"success": True}
    assert c.ok("/" + target["id"], fields="hidden")["hidden"] is True
    c.err(c.post("/%s/replies" % target["id"], message="nope"), 100)
    assert c.post("/" + target["id"], hide="false").json() == {"success": True}
    assert c.ok("/" + target["id"], fields="hidden")["hidden"] is False
    actions = [w["action"] for w in sb.writes()]
    assert actions == ["reply.create", "reply.create", "comment.hide", "comment.unhide"]


def test_delete_comment_and_media(c, sb, main1):
    m = first_media(c, main1, lambda m: m["is_comment_enabled"] and m["comments_count"] > 0)
    cid = c.post("/%s/comments" % m["id"], message="temporary").json()["id"]
    assert c.delete("/" + cid).json() == {"success": True}
    c.err(c.get("/" + cid), 100, 33)
    c.err(c.get("/%s/replies" % cid), 100, 33)
    assert cid not in [x["id"] for x in c.ok("/%s/comments" % m["id"], limit=100)["data"]]
    assert c.delete("/" + m["id"]).json() == {"success": True}
    c.err(c.get("/" + m["id"]), 100, 33)
    assert c.ok("/" + main1, fields="media_count")["media_count"] == 1799
    assert [w["action"] for w in sb.writes()] == ["comment.create", "comment.delete", "media.delete"]
    e = c.err(c.delete("/" + main1), 100, 33)
    assert "Unsupported delete request" in e["message"]


def test_comment_enabled_toggle(c, sb, main1):
    m = first_media(c, main1, lambda m: m["is_comment_enabled"] and m["media_product_type"] == "FEED")
    assert c.post("/" + m["id"], comment_enabled="false").json() == {"success": True}
    assert c.ok("/" + m["id"], fields="is_comment_enabled")["is_comment_enabled"] is False
    c.err(c.post("/%s/comments" % m["id"], message="closed?"), 100)
    assert c.post("/" + m["id"], comment_enabled="true").json() == {"success": True}
    assert c.post("/%s/comments" % m["id"], message="open again").status_code == 200
    w = sb.writes()
    assert w[0]["action"] == "media.comment_enabled" and w[0]["ids"] == {"media_id": m["id"], "comment_enabled": False}


def test_missing_scope_is_code_10(c, sb, main1):
    tok = sb.mint_token("user_long")
    m = first_media(c, main1, lambda m: m["is_comment_enabled"])
    import requests
    r = requests.post("%s/v22.0/%s/comments" % (sb.url, m["id"]), data={"message": "hi", "access_token": tok})
    assert r.status_code == 200
    tok2 = sb.app.tokens.mint("user_long", scopes=["instagram_basic", "pages_show_list"]).value
    r = requests.post("%s/v22.0/%s/comments" % (sb.url, m["id"]), data={"message": "hi", "access_token": tok2})
    assert r.json()["error"]["code"] == 10


def test_reply_to_mentions(c, sb, main1):
    info = sb.info()["accounts"][0]
    mm, mc = info["mentioned_media_ids"][0], info["mentioned_comment_ids"][0]
    r = c.post("/%s/mentions" % main1, media_id=mm, message="Thanks for the shout-out!")
    assert r.status_code == 200 and r.json()["id"].isdigit()
    mc_media = c.ok("/" + main1, fields="mentioned_comment.comment_id(%s){media{id}}" % mc)
    mc_media_id = mc_media["mentioned_comment"]["media"]["id"]
    r = c.post("/%s/mentions" % main1, media_id=mc_media_id, comment_id=mc, message="See you soon")
    assert r.status_code == 200
    c.err(c.post("/%s/mentions" % main1, media_id="123", message="hi"), 100)
    assert [w["action"] for w in sb.writes()] == ["mention.reply", "mention.reply"]
