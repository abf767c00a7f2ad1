"""Writes of media: INSERT INTO media publishes a post (image, carousel,
reel, story: container(s), polling, media_publish); ig_media takes UPDATE
is_comment_enabled and DELETE.  Containers may be created again after a lost
answer (an orphan is never published and expires); media_publish of one
container is asked again (it cannot publish twice) and, when Instagram says
it was already published, the new post is looked up."""

import re
import time

from ig_fdw.tables.media import caption_violation
from ig_fdw.graph.errors import GraphError
from ig_fdw.values import segment
from ig_fdw.writes.ambiguous import send_once
from ig_fdw.writes.errors import MaybeSent, RuleViolation, WriteError
from ig_fdw.writes.machinery import Handler, delete, idempotent, plural, shorten

# Publishing: polling the container (Meta: poll up to ~5 minutes).
POLL_DELAYS = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
POLL_MAX_DELAY = 10.0
POLL_TIMEOUT = 300.0
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")

ALREADY_PUBLISHED = 2207008

# 2207xxx subcodes of the publishing API (the table in docs/writes.md): message, hint.
PUBLISH_ERRORS = {
    2207001: ("Instagram's server could not process the media", "Try again later."),
    2207003: ("downloading the media from its URL took too long", "Host the file on a faster public server."),
    2207004: ("the image is too large (at most 8 MiB)", "Send a smaller JPEG."),
    2207005: ("the media format is not supported", "Images must be JPEG; videos MP4/MOV (H.264, AAC)."),
    2207006: ("the media container was not found", "Create the post again (a new INSERT)."),
    2207008: ("the media container was already published", "Look for the post in media; do not publish twice."),
    2207009: ("the image's aspect ratio is not allowed (between 4:5 and 1.91:1)", "Crop the image."),
    2207010: ("the caption is too long (at most 2,200 characters, 30 hashtags, 20 @tags)", "Shorten the caption."),
    2207020: ("the media container expired before it was published (24 hours)", "Create the post again."),
    2207023: ("the media type is not supported", "media_type is IMAGE (or NULL), CAROUSEL, REELS or STORIES."),
    2207026: ("the video format is not supported", "Use MP4/MOV, H.264, AAC, within the duration limits."),
    2207027: ("the media is not ready to be published yet", "Try again in a moment."),
    2207028: ("the carousel is not valid (2 to 10 image or video items of this account)",
              "Give children 2 to 10 URLs."),
    2207032: ("creating the media container failed", "Try again later."),
    2207042: ("the publishing quota of the account is used up (posts per 24 hours)",
              "Wait until older posts leave the 24-hour window; SELECT * FROM content_publishing_limit shows it."),
    2207050: ("the Instagram account is restricted or inactive", "Log in to the Instagram app and resolve it."),
    2207051: ("Instagram flagged the post as spam", "Change the content; do not repeat identical posts."),
    2207052: ("Instagram could not fetch the media from its URL", "The URL must be public, direct and reachable."),
    2207053: ("an unknown upload error occurred", "Create the post again."),
}
_SUBCODE_RE = re.compile(r"\b(2207\d{3})\b")

READ_BACK = ("permalink", "shortcode", "timestamp", "media_type", "media_product_type", "caption")


def publish_error(subcode, fallback, where):
    msg, hint = PUBLISH_ERRORS.get(subcode, (fallback, "See the Graph API publishing error codes."))
    return WriteError("publishing failed %s: %s (subcode %s)" % (where, msg, subcode) if subcode else
                      "publishing failed %s: %s" % (where, msg),
                      "53400" if subcode == 2207042 else "22023" if subcode in (
                          2207004, 2207005, 2207009, 2207010, 2207023, 2207026, 2207028) else "HV000",
                      hint=hint)


def _publishing_error(exc, where):
    """A 2207xxx GraphError as the publishing error it stands for; None for any other error."""
    if isinstance(exc, GraphError) and exc.subcode and 2207000 <= exc.subcode < 2208000:
        return publish_error(exc.subcode, exc.message, where)
    return None


class IgMedia(Handler):
    """ig_media: UPDATE is_comment_enabled, DELETE."""


    def prepare_update(self, w, rowid, newvalues):
        changed = w.check_update(rowid, newvalues)
        if "is_comment_enabled" not in changed:
            return None
        on = bool(newvalues["is_comment_enabled"])

        def send():
            idempotent(lambda: w.client.post(segment(rowid), {"comment_enabled": "true" if on else "false"}),
                       "setting comment_enabled of media %s" % rowid)
            return {"id": rowid, "is_comment_enabled": on}
        return send

    def prepare_delete(self, w, rowid, values=None):
        return delete(w, rowid, "media")


class Publish(Handler):
    """media: INSERT publishes."""

    label_columns = ("media_type", "image_url", "video_url", "caption")

    def queued_result(self, kind, values):
        return {"id": None, "permalink": None}

    def prepare_insert(self, w, rowid, values):
        v = dict(values)
        children = v.get("children")
        if isinstance(children, str):
            children = [c.strip() for c in children.strip("{}").split(",") if c.strip()]
        mtype = _media_type(v, children)
        image, video = v.get("image_url"), v.get("video_url")
        if mtype == "CAROUSEL":
            if image or video:
                raise WriteError("a carousel takes its items in children, not image_url/video_url", "22023",
                                 hint="children => ARRAY['https://.../1.jpg', 'https://.../2.mp4']")
            if not children or not 2 <= len(children) <= 10:
                raise RuleViolation("carousel of 2 to 10 items", "children has %d item%s" % (
                    len(children or []), plural(len(children or []))),
                    hint="Give children 2 to 10 image or video URLs.")
        elif children:
            raise WriteError("children is only for carousels (media_type CAROUSEL)", "22023")
        elif mtype == "IMAGE" and not image:
            raise WriteError("an image post needs image_url", "23502",
                             hint="Set image_url, or video_url with media_type REELS, or children for a carousel.")
        elif mtype == "REELS" and not video:
            raise WriteError("a reel needs video_url", "23502")
        elif mtype == "STORIES" and (not (image or video) or (image and video)):
            raise WriteError("a story needs exactly one of image_url and video_url", "23502")
        elif mtype in ("IMAGE", "REELS") and image and video:
            raise WriteError("give image_url or video_url, not both", "22023")
        bad = caption_violation(v.get("caption"))
        if bad:
            raise RuleViolation(*bad)
        acct = w.account_for(v)
        return lambda: self.publish(w, acct, mtype, v, children or [])

    # -- the publishing sequence
    def publish(self, w, acct, mtype, v, children):
        self._check_quota(w, acct)
        if mtype == "CAROUSEL":
            kids = []
            for url in children:
                if _is_video(url):
                    kid = {"media_type": "VIDEO", "video_url": url, "is_carousel_item": "true"}
                else:
                    kid = {"image_url": url, "is_carousel_item": "true"}
                kids.append((url, self._create(w, acct, kid, "carousel item %s" % shorten(url, 60))))
            for url, cid in kids:
                self._wait(w, cid, "carousel item %s" % shorten(url, 60))
            params = {"media_type": "CAROUSEL", "children": ",".join(cid for _, cid in kids)}
        elif mtype == "REELS":
            params = {"media_type": "REELS", "video_url": v["video_url"]}
            if v.get("share_to_feed") is not None:
                params["share_to_feed"] = "true" if v["share_to_feed"] else "false"
        elif mtype == "STORIES":
            params = {"media_type": "STORIES"}
            params["video_url" if v.get("video_url") else "image_url"] = v.get("video_url") or v.get("image_url")
        else:
            params = {"image_url": v["image_url"]}
        if v.get("cover_url"):
            params["cover_url"] = v["cover_url"]
        if v.get("caption") is not None and mtype != "STORIES":
            params["caption"] = v["caption"]
        cid = self._create(w, acct, params, "the container")
        self._wait(w, cid, "container %s" % cid)
        media_id = self._publish(w, acct, cid, v)
        w.created.add(media_id)
        row = {"id": media_id, "business_account_id": acct}
        try:
            row.update(w.read_back(w.client.get(media_id, fields=["id"] + list(READ_BACK)), READ_BACK))
        except GraphError:
            pass    # published; only the read-back failed
        return row

    def _check_quota(self, w, acct):
        try:
            body = w.client.get("%s/content_publishing_limit" % acct, fields=["quota_usage", "config"])
        except GraphError:
            return  # the quota is checked again by media_publish itself
        data = (body.get("data") or [{}])[0]
        usage = data.get("quota_usage")
        total = (data.get("config") or {}).get("quota_total")
        if usage is not None and total is not None and int(usage) >= int(total):
            hours = int((data.get("config") or {}).get("quota_duration") or 86400) // 3600
            raise WriteError("the publishing quota of account %s is used up: %s of %s posts in the last %d hours"
                             " (nothing was sent)" % (acct, usage, total, hours), "53400",
                             hint="Wait until older posts leave the window; SELECT * FROM content_publishing_limit "
                                  "shows the usage.")

    def _create(self, w, acct, params, what):
        """A container; an orphan is harmless (never published, expires in 24 h), so a lost answer is
        settled by creating it again."""
        try:
            body = send_once(lambda: w.client.post("%s/media" % segment(acct), params), "creating %s" % what,
                             resend=True)
        except GraphError as exc:
            raise _publishing_error(exc, "creating %s" % what) or exc
        return str(body["id"])

    def _wait(self, w, cid, what):
        """Poll the container until FINISHED (bounded; cancellable)."""
        start = time.monotonic()
        n = 0
        while True:
            delay = POLL_DELAYS[n] if n < len(POLL_DELAYS) else POLL_MAX_DELAY
            if time.monotonic() - start + delay > POLL_TIMEOUT:
                raise WriteError("publishing failed: %s is still being processed after %d seconds; nothing was "
                                 "published (the container expires unpublished after 24 hours)" % (
                                     what, POLL_TIMEOUT), "57014",
                                 hint="Try again later, or with a smaller file.")
            w.sleep(delay)
            n += 1
            body = w.client.get(cid, fields=["status_code", "status"])
            code = (body.get("status_code") or "").upper()
            if code in ("FINISHED", "PUBLISHED"):
                return code
            if code == "ERROR":
                m = _SUBCODE_RE.search(body.get("status") or "")
                sub = int(m.group(1)) if m else None
                raise publish_error(sub, body.get("status") or "processing failed",
                                    "(%s went to status ERROR; nothing was published)" % what)
            if code == "EXPIRED":
                raise publish_error(2207020, "expired", "(%s went to status EXPIRED; nothing was published)" % what)

    def _publish(self, w, acct, cid, v):
        """media_publish of one container: asked again after a lost answer (it cannot publish twice);
        "already published" then means the first request landed, and the new post is looked up."""
        def landed(exc):
            if exc.subcode != ALREADY_PUBLISHED:
                return None
            found = self._find_published(w, acct, v)
            if found is None:
                raise MaybeSent("the post was published (container %s), but its id could not be found "
                                "after the connection failed" % cid,
                                hint="SELECT id, permalink FROM media ORDER BY timestamp DESC LIMIT 5.")
            return {"id": found}

        try:
            body = send_once(lambda: w.client.post("%s/media_publish" % segment(acct), {"creation_id": cid}),
                             "the post (container %s)" % cid, resend=True, landed=landed, done="published")
        except GraphError as exc:
            raise _publishing_error(exc, "at media_publish") or exc
        return str(body["id"])

    def _find_published(self, w, acct, v):
        body = w.client.get("%s/media" % segment(acct), params={"limit": 5}, fields=["id", "caption"])
        for obj in body.get("data") or []:
            if (obj.get("caption") or None) == (v.get("caption") or None) and str(obj["id"]) not in w.created:
                return str(obj["id"])
        return None


def _media_type(v, children):
    """The publishing media_type of a row: IMAGE, CAROUSEL, REELS or STORIES."""
    mtype = (v.get("media_type") or "").strip().upper() or None
    if mtype in ("CAROUSEL_ALBUM", "CAROUSEL") or (mtype is None and children):
        return "CAROUSEL"
    if mtype in ("REEL", "REELS") or (mtype == "VIDEO" and v.get("video_url")) or (
            mtype is None and v.get("video_url")):
        return "REELS"
    if mtype in ("STORY", "STORIES"):
        return "STORIES"
    if mtype in (None, "IMAGE"):
        return "IMAGE"
    raise WriteError("media_type %s cannot be published" % v.get("media_type"), "22023",
                     hint="media_type is IMAGE (or NULL), CAROUSEL, REELS or STORIES.")


def _is_video(url):
    path = str(url).split("?", 1)[0].lower()
    return path.endswith(VIDEO_EXTENSIONS)


MEDIA = Publish()
IG_MEDIA = IgMedia()
