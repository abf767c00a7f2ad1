"""Writes of comments and replies: INSERT posts one (after Instagram's text
rules, in ig_fdw/tables/comments.py), UPDATE hidden hides or unhides it, DELETE
deletes it.  A post whose answer was lost is looked up (same text, by the
account, newest first) before it is reported: never posted twice."""

from ig_fdw.tables.comments import comment_violation
from ig_fdw.graph.errors import NotFound
from ig_fdw.values import segment
from ig_fdw.writes.ambiguous import send_once
from ig_fdw.writes.errors import RuleViolation, WriteError
from ig_fdw.writes.machinery import Handler, delete, idempotent

# How deep to look for a comment that may have landed (newest first).
RECOVERY_WINDOW = 25


class _CommentLike(Handler):
    noun = "comment"

    def prepare_update(self, w, rowid, newvalues):
        changed = w.check_update(rowid, newvalues)
        if "hidden" not in changed:
            return None
        hide = bool(newvalues["hidden"])

        def send():
            idempotent(lambda: w.client.post(segment(rowid), {"hide": "true" if hide else "false"}),
                       "hiding %s %s" % (self.noun, rowid))
            return {"id": rowid, "hidden": hide}
        return send

    def prepare_delete(self, w, rowid, values=None):
        return delete(w, rowid, self.noun)

    def _rules(self, values):
        bad = comment_violation(values.get("text"))
        if bad:
            raise RuleViolation(*bad, hint="Instagram comments and replies: at most 300 characters, 4 hashtags "
                                           "and 1 URL, and not all in capitals.")

    def _post(self, w, path, text, candidates):
        """POST the text; a lost answer is settled by looking for it among `candidates()` (newest first)."""
        def look_up():
            found = self._match(w, candidates(), text)
            if found is not None:
                w.note("ig_fdw: %s: the connection failed after posting a %s; %s %s with the same text by the "
                       "account was found and taken as the result (not posted again)" % (
                           w.table.name, self.noun, self.noun, found))
                return {"id": found}
            return None

        body = send_once(lambda: w.client.post(path, {"message": text}), "the %s" % self.noun, look_up=look_up,
                         done="posted", not_found=", and no %s with this text by the account was found afterwards"
                         % self.noun)
        cid = str(body["id"])
        w.created.add(cid)
        return cid

    def _match(self, w, items, text):
        own = w.own_ids()
        for it in items:
            cid = str(it.get("id"))
            if it.get("text") != text or cid in w.created:
                continue
            who = str((it.get("from") or {}).get("id") or "")
            if own and who and who not in own:
                continue
            return cid
        return None


class Comments(_CommentLike):
    label_columns = ("media_id", "text")

    def prepare_insert(self, w, rowid, values):
        self._rules(values)
        media_id, text = str(values["media_id"]), str(values["text"])

        def newest():
            body = w.client.get("%s/comments" % segment(media_id), params={"limit": RECOVERY_WINDOW},
                                fields=["id", "text", "from{id}", "timestamp"])
            return body.get("data") or []     # newest first

        def send():
            cid = self._post(w, "%s/comments" % segment(media_id), text, newest)
            return {"id": cid, "media_id": media_id, "text": text}
        return send


class Replies(_CommentLike):
    noun = "reply"
    label_columns = ("comment_id", "text")

    def prepare_insert(self, w, rowid, values):
        self._rules(values)
        parent, text = str(values["comment_id"]), str(values["text"])
        try:
            obj = w.client.get(segment(parent), fields=["id", "hidden", "parent_id"])
        except NotFound:
            raise WriteError("comment %s does not exist or is not visible to this token" % parent, "23503")
        if obj.get("parent_id"):
            raise RuleViolation("no replies to replies",
                                "comment %s is itself a reply (to %s); Instagram would attach the reply to the "
                                "top-level comment" % (parent, obj["parent_id"]),
                                hint="Reply to the top-level comment: comment_id = '%s'." % obj["parent_id"])
        if obj.get("hidden"):
            raise RuleViolation("no replies to hidden comments", "comment %s is hidden" % parent,
                                hint="Unhide it first (UPDATE comments SET hidden = false WHERE id = '%s')." % parent)

        def newest():
            items = list(w.client.paginate("%s/replies" % segment(parent), fields=["id", "text", "from{id}"]))
            return list(reversed(items))[:RECOVERY_WINDOW]     # oldest first -> newest first

        def send():
            rid = self._post(w, "%s/replies" % segment(parent), text, newest)
            return {"id": rid, "comment_id": parent, "text": text}
        return send


COMMENTS = Comments()
REPLIES = Replies()
