"""Content publishing: containers, their status state machine, media_publish
and the publishing quota.

Container status convention (deterministic, documented in README):

* the URL (image_url / video_url) contains "error"  -> IN_PROGRESS, then ERROR
* the URL contains "expire"                         -> IN_PROGRESS, then EXPIRED
* otherwise                                         -> IN_PROGRESS, then FINISHED
* a container not published within 24 h (sandbox clock) becomes EXPIRED
* after media_publish                               -> PUBLISHED

Each GET of the container counts as one poll; an image (or carousel)
container is IN_PROGRESS on the first poll and final from the second; video
containers (REELS, VIDEO items, video STORIES) need three IN_PROGRESS polls.

Quota: 100 published posts per rolling 24 h per account.  [U] Meta's
content_publishing_limit page says 50; its publishing guide (as quoted by
secondary sources) says 100; the sandbox follows the guide.  Carousels count
as one.
"""

from .clock import DAY
from .entities import Container
from .errors import GraphError, nonexisting_field, param_error
from .fields import parse_fields
from .handlers_graph import bool_param, require_scope

QUOTA_TOTAL = 100
QUOTA_DURATION = DAY
CONTAINER_TTL = DAY
MEDIA_TYPES = {"IMAGE", "VIDEO", "REELS", "STORIES", "CAROUSEL"}


def status(ctx, c):
    now = ctx.now
    if c.published_media:
        return ("PUBLISHED", "Published: Media has been successfully published.")
    if now - c.created >= CONTAINER_TTL:
        return ("EXPIRED", "Expired: Media container has expired and can no longer be published.")
    if c.polls <= c.polls_needed:
        return ("IN_PROGRESS", "In Progress: Media is still being processed.")
    if c.outcome == "ERROR":
        return ("ERROR", "Error: Media download has failed. The media URI doesn't meet our requirements. "
                         "(2207052)")
    if c.outcome == "EXPIRED":
        return ("EXPIRED", "Expired: Media container has expired and can no longer be published.")
    return ("FINISHED", "Finished: Media has been uploaded and it is ready to be published.")


def _pub_err(message, code, subcode, title=None, msg=None):
    return GraphError(message, code, subcode=subcode, user_title=title, user_msg=msg)


def create_container(ctx, acct):
    require_scope(ctx, "instagram_content_publish", "instagram_business_content_publish")
    p = ctx.params
    mt = (p.get("media_type") or "").strip().upper() or None
    image_url = p.get("image_url")
    video_url = p.get("video_url")
    caption = p.get("caption")
    is_item = bool_param(ctx, "is_carousel_item") or False
    if mt is not None and mt not in MEDIA_TYPES:
        raise _pub_err("Invalid parameter", 100, 2207023, "Unknown media type",
                       "The media type entered is not one of CAROUSEL, REELS, STORIES, VIDEO or IMAGE.")
    if caption is not None and (len(caption) > 2200 or caption.count("#") > 30 or caption.count("@") > 20):
        raise _pub_err("Invalid parameter", 100, 2207010, "Caption too long",
                       "The caption exceeds 2,200 characters, 30 hashtags or 20 @ tags.")
    kids = []
    if mt == "CAROUSEL":
        ids = [x.strip() for x in (p.get("children") or "").replace("[", "").replace("]", "").replace('"', "").split(",")
               if x.strip()]
        if not 2 <= len(ids) <= 10:
            raise _pub_err("Invalid parameter", 100, 2207028, "Carousel validation failed",
                           "A carousel needs between 2 and 10 children.")
        for cid in ids:
            ch = ctx.world.containers.get(cid)
            if ch is None or ch.owner != acct.id or not ch.params.get("is_carousel_item"):
                raise _pub_err("Invalid parameter", 100, 2207028, "Carousel validation failed",
                               "The carousel child %s is not a carousel item container of this account." % cid)
            kids.append(cid)
        url = ""
        polls = 1
    elif mt in ("REELS",):
        if not video_url:
            raise param_error("The parameter video_url is required")
        url, polls = video_url, 3
    elif mt == "VIDEO":
        if not is_item:
            # [U] feed videos are published as REELS nowadays
            raise _pub_err("Invalid parameter", 100, 2207023, "Unsupported media type",
                           "The VIDEO media type is no longer supported for feed posts. Use REELS.")
        if not video_url:
            raise param_error("The parameter video_url is required")
        url, polls = video_url, 3
    elif mt == "STORIES":
        if not (image_url or video_url):
            raise param_error("The parameter image_url or video_url is required")
        url, polls = (video_url, 3) if video_url else (image_url, 1)
    else:
        if not image_url:
            raise param_error("The parameter image_url is required")
        url, polls = image_url, 1
    low = url.lower()
    outcome = "ERROR" if "error" in low else ("EXPIRED" if "expire" in low else "FINISHED")
    c = Container(ctx.world.new_container_id(), acct.id,
                  {"media_type": mt, "image_url": image_url, "video_url": video_url, "caption": caption,
                   "is_carousel_item": is_item, "children": kids},
                  ctx.now, polls, outcome)
    ctx.world.containers[c.id] = c
    ctx.app.log_write(ctx, "container.create", container_id=c.id, ig_user_id=acct.id, media_type=mt or "IMAGE")
    return {"id": c.id}


def quota_usage(ctx, acct):
    now = ctx.now
    log = ctx.app.publish_log.setdefault(acct.id, [])
    return sum(1 for t in log if t > now - QUOTA_DURATION)


def publishing_limit(ctx, acct):
    specs = parse_fields(ctx.params.get("fields")) or []
    names = [s.name for s in specs] or ["quota_usage"]
    row = {}
    for n in names:
        if n == "quota_usage":
            row[n] = quota_usage(ctx, acct)
        elif n == "config":
            row[n] = {"quota_total": QUOTA_TOTAL, "quota_duration": QUOTA_DURATION}
        else:
            raise nonexisting_field(n, "ContentPublishingLimitResponse")
    return {"data": [row]}


def publish(ctx, acct):
    require_scope(ctx, "instagram_content_publish", "instagram_business_content_publish")
    cid = ctx.params.get("creation_id")
    if not cid:
        raise param_error("The parameter creation_id is required")
    world = ctx.world
    c = world.containers.get(cid)
    if c is None or c.owner != acct.id:
        raise _pub_err("Media ID is not available", 9007, 2207006, "Media not found",
                       "The media with id %s cannot be found." % cid)
    st = status(ctx, c)[0]
    if st == "PUBLISHED":
        raise _pub_err("Media ID is not available", 9007, 2207008, "Media already published",  # [U]
                       "The media container has already been published.")
    if st == "EXPIRED":
        raise _pub_err("The media has expired", 9007, 2207020, "Media expired",
                       "The media you are trying to access has expired. Please try uploading again.")
    if st == "ERROR":
        raise _pub_err("Media upload has failed", -2, 2207052, "Media could not be fetched",
                       "The media could not be fetched from this URI.")
    if st == "IN_PROGRESS":
        raise _pub_err("Media ID is not available", 9007, 2207027, "Media not ready",
                       "The media is not ready for publishing, please wait for a moment.")
    if c.params.get("is_carousel_item"):
        raise _pub_err("Invalid parameter", 100, 2207028, "Carousel validation failed",
                       "Carousel item containers cannot be published on their own.")
    if quota_usage(ctx, acct) >= QUOTA_TOTAL:
        raise GraphError("Application request limit reached", 9, subcode=2207042, transient=False,
                         user_title="Max posts reached",
                         user_msg="You have reached the maximum number of posts allowed in a 24-hour period.")
    now = ctx.now
    mt = c.params["media_type"]
    video = bool(c.params.get("video_url"))
    if mt == "CAROUSEL":
        media_type, product = "CAROUSEL_ALBUM", "FEED"
    elif mt == "REELS":
        media_type, product = "VIDEO", "REELS"
    elif mt == "STORIES":
        media_type, product = ("VIDEO" if video else "IMAGE"), "STORY"
    else:
        media_type, product = "IMAGE", "FEED"
    m = world._new_media(acct, now, media_type, product, None)
    m.caption = c.params.get("caption") or None
    m.like_count = 0
    m.n_comments = 0
    m.comments = []
    m.comment_index = {}
    if product == "STORY":
        m.viewers = 0
        m.comments_enabled = False
        acct.stories.append(m)
    else:
        if mt == "CAROUSEL":
            m.children = []
            for kid in c.params["children"]:
                kc = world.containers[kid]
                ch = world._new_media(acct, now, "VIDEO" if kc.params.get("video_url") else "IMAGE", "FEED",
                                      None, parent=m)
                ch.like_count = 0
                kc.published_media = ch.id
                m.children.append(ch.id)
        acct.media.append(m)
        acct.media.sort(key=lambda x: (-x.ts, x.id))
    c.published_media = m.id
    ctx.app.publish_log.setdefault(acct.id, []).append(now)
    ctx.app.log_write(ctx, "media.publish", media_id=m.id, container_id=c.id, ig_user_id=acct.id,
                      media_type=media_type, media_product_type=product)
    return {"id": m.id}
