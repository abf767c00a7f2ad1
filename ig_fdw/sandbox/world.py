"""The seeded world: the app, the user, pages, accounts and everything they
hold, built from the seed.

Media of the seeded accounts are built eagerly (a few thousand small objects,
well under a second); comment threads, discovery accounts' media, tags,
hashtag media are generated lazily on first access, each from its own keyed
hash (keyed.py) so the order of access does not change them.  Insight values
are not stored at all (handlers_insights.py).
"""

import random

from .clock import EPOCH, DAY
from .entities import Account, Comment, FbPage, Media, User
from .keyed import h64, hashtag_id, shortcode
from .words import (BRANDS, COMMENT_TEXTS, DISCOVERY, FIRST, HASHTAGS, LAST, MIDDLES, OPENERS,
                    REPLY_TEXTS)

HOUR = 3600


def pick_media_kind(rng):
    """(media_type, media_product_type) of a new feed post: half images, then
    carousels, feed videos and reels."""
    r = rng.random()
    if r < 0.5:
        return "IMAGE", "FEED"
    if r < 0.7:
        return "CAROUSEL_ALBUM", "FEED"
    if r < 0.8:
        return "VIDEO", "FEED"
    return "VIDEO", "REELS"


class World:
    SCOPES = ["pages_show_list", "instagram_basic", "pages_read_engagement", "ads_management",
              "business_management", "instagram_manage_insights", "instagram_manage_comments",
              "instagram_content_publish", "instagram_manage_contents", "public_profile"]
    IG_SCOPES = ["instagram_business_basic", "instagram_business_manage_comments",
                 "instagram_business_manage_insights", "instagram_business_content_publish"]

    def __init__(self, seed):
        self.seed = seed
        rng = random.Random(h64("world", seed))
        self.rng = rng
        self.seedpart = seed % 1000
        self.app_id = str(rng.randint(10 ** 14, 10 ** 15 - 1))
        self.app_secret = "%032x" % rng.getrandbits(128)
        self.ig_app_id = str(rng.randint(10 ** 14, 10 ** 15 - 1))
        self.ig_app_secret = "%032x" % rng.getrandbits(128)
        self.users = {}
        self.pages = {}
        self.accounts = {}      # owned IG business accounts
        self.by_username = {}   # every business account by username (incl. discovery)
        self.media = {}
        self.media_by_seq = []
        self.extra_comments = {}
        self.containers = {}
        self.hashtags = {}      # id -> name
        self._container_n = 0
        self._build()

    # ------------------------------------------------------------ helpers
    def _unique_id(self, prefix, digits, *parts):
        salt = 0
        while True:
            v = prefix + "%0*d" % (digits, h64(self.seed, prefix, salt, *parts) % 10 ** digits)
            if v not in self.media and v not in self.accounts and v not in self.containers:
                return v
            salt += 1

    def register_hashtag(self, name):
        hid = hashtag_id(name)
        self.hashtags[hid] = name.lower()
        return hid

    def _caption(self, rng, own_username):
        if rng.random() < 0.05:
            return None
        parts = [rng.choice(OPENERS)]
        if rng.random() < 0.8:
            parts.append(rng.choice(MIDDLES))
        if rng.random() < 0.25:
            parts.append("📍 with @" + rng.choice([d[0] for d in DISCOVERY]))
        if rng.random() < 0.85:
            tags = rng.sample(HASHTAGS, rng.randint(1, 6))
            parts.append(" ".join("#" + t for t in tags))
        sep = "\n\n" if rng.random() < 0.4 else " "
        return sep.join(parts)

    def _new_media(self, owner, ts, media_type, product, rng, parent=None, public=False):
        m = Media()
        m.id = self._unique_id("179", 14, owner.username if owner else "public",
                               len(self.media_by_seq))
        m.seq = len(self.media_by_seq)
        self.media_by_seq.append(m)
        self.media[m.id] = m
        m.owner = owner.id if owner else None
        m.username = owner.username if owner else None
        m.ts = ts
        m.media_type = media_type
        m.product = product
        m.parent = parent
        m.public = public
        m.ig_id = str(h64(self.seed, "igid", m.id) % 10 ** 19)
        m.shortcode = shortcode(self.seed, m.id)
        ext = "mp4" if media_type == "VIDEO" else "jpg"
        m.media_url = ("https://scontent.cdninstagram.com/v/t51.29350-15/%s_%d_n.%s?_nc_cat=1&_nc_sid=sbx"
                       % (m.id, h64(m.id, "u") % 10 ** 15, ext))
        if media_type == "VIDEO":
            m.thumbnail_url = ("https://scontent.cdninstagram.com/v/t51.29350-15/%s_thumb_n.jpg?_nc_sid=sbx"
                               % m.id)
        kind = "reel" if product == "REELS" else ("stories/%s" % m.username if product == "STORY" else "p")
        m.permalink = "https://www.instagram.com/%s/%s/" % (kind, m.shortcode)
        return m

    def _build(self):
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        uid = "10" + "%013d" % rng.randint(0, 10 ** 13 - 1)
        user = User(uid, "%s %s" % (first.title(), last.title()), list(self.SCOPES))
        self.users[uid] = user
        self.user = user
        brand_key, brand = rng.choice(BRANDS)
        specs = [
            ("main1", "%s.coffee" % brand_key, "%s Coffee" % brand, 48213 + rng.randint(0, 5000), 1800, 700),
            ("main2", "%s.studio" % brand_key, "%s Studio" % brand, 12377 + rng.randint(0, 2000), 850, 731),
            ("small", "%s.testkitchen" % brand_key, "%s Test Kitchen" % brand, 37 + rng.randint(0, 40), 30, 200),
        ]
        self.account_ids = []
        for role, username, name, followers, n_media, biz_days in specs:
            aid = "178414" + "%011d" % rng.randint(0, 10 ** 11 - 1)
            a = Account(aid, username, name)
            a.role = role
            a.owned = True
            a.ig_id = rng.randint(10 ** 9, 10 ** 10 - 1)
            a.biography = "%s ☕ Specialty coffee & good company.\nRoasted in small batches • Since 2016 🌱" % name
            a.website = "https://www.%s.example/" % username.replace(".", "-")
            a.followers = followers
            a.follows = rng.randint(150, 900)
            a.picture = "https://scontent.cdninstagram.com/v/t51.2885-19/%s_profile.jpg?_nc_sid=sbx" % aid
            a.business_since = EPOCH - biz_days * DAY
            self.accounts[aid] = a
            self.by_username[username] = a
            self.account_ids.append(aid)
            self._seed_media(a, n_media, rng)
        # two pages; the small account is reachable through the user's Business
        # Manager (business_management) rather than through a page of /me/accounts [U]
        for aid, title in ((self.account_ids[0], "%s Coffee" % brand), (self.account_ids[1], "%s Studio" % brand)):
            pid = "1" + "%014d" % rng.randint(0, 10 ** 14 - 1)
            p = FbPage(pid, title, "Coffee Shop", aid)
            self.pages[pid] = p
            self.accounts[aid].page_id = pid
            user.pages.append(pid)
        user.accounts = list(self.account_ids)
        for username, name, followers in DISCOVERY:
            aid = "178414" + "%011d" % (h64(self.seed, "disc", username) % 10 ** 11)
            a = Account(aid, username, name)
            a.followers = followers
            a.follows = 100 + h64(username, "f") % 900
            a.ig_id = 10 ** 9 + h64(username, "ig") % (9 * 10 ** 9)
            a.biography = "%s — official account" % name
            a.website = "https://%s.example/" % username.replace(".", "-")
            a.picture = "https://scontent.cdninstagram.com/v/t51.2885-19/%s_profile.jpg?_nc_sid=sbx" % aid
            a.media = None  # lazily
            a.role = "discovery"
            self.by_username[username] = a
        for t in HASHTAGS:
            self.register_hashtag(t)
        # mentions of the main accounts in other accounts' captions/comments
        for aid in self.account_ids:
            a = self.accounts[aid]
            other = self.by_username[DISCOVERY[h64(aid) % len(DISCOVERY)][0]]
            for k in range(5):
                m = self._new_media(other, EPOCH - (k + 1) * 5 * DAY - h64(aid, k) % DAY, "IMAGE", "FEED", rng, public=True)
                m.caption = "Great morning at @%s ☕ #coffee" % a.username
                m.n_comments = 0
                m.like_count = 20 + h64(m.id) % 500
                a.mentions.append(m.id)
                c = Comment()
                c.id = "177" + "%014d" % (h64(self.seed, "mc", aid, k) % 10 ** 14)
                c.media = m
                c.text = "@%s you have to try this place!" % a.username
                c.ts = m.ts + 3600
                c.username = other.username
                c.from_id = other.id
                c.like_count = h64(c.id) % 10
                c.k = 0
                self.extra_comments[c.id] = c
                a.mention_comments.append(c.id)

    def _seed_media(self, a, n, rng):
        span = 730 * DAY
        times = sorted((EPOCH - HOUR - int(rng.random() * span) for _ in range(n)), reverse=True)
        for ts in times:
            mt, prod = pick_media_kind(rng)
            m = self._new_media(a, ts, mt, prod, rng)
            m.caption = self._caption(rng, a.username)
            scale = max(a.followers, 50)
            m.like_count = int(scale * (0.005 + rng.random() * 0.04))
            m.hide_likes = rng.random() < 0.04
            m.comments_enabled = rng.random() > 0.05
            x = rng.random()
            if a.role == "small":
                m.n_comments = int(x * 4)
            elif x < 0.04:
                m.n_comments = rng.randint(60, 160)   # threads over several pages
            elif x < 0.35:
                m.n_comments = 0
            else:
                m.n_comments = rng.randint(1, 18)
            if mt == "CAROUSEL_ALBUM":
                m.children = []
                for j in range(rng.randint(2, 10)):
                    cmt = "VIDEO" if rng.random() < 0.2 else "IMAGE"
                    c = self._new_media(a, ts, cmt, "FEED", rng, parent=m)
                    c.n_comments = 0
                    c.like_count = 0
                    m.children.append(c.id)
            a.media.append(m)
        a.media.sort(key=lambda m: (-m.ts, m.id))
        # stories, relative to the clock start; they vanish 24 h after creation
        n_st = 1 if a.role == "small" else 3
        for j, hours in enumerate((2, 9, 20, 30, 50)[:n_st + 2]):
            m = self._new_media(a, EPOCH - hours * HOUR - rng.randint(0, 600),
                                "VIDEO" if j == 1 else "IMAGE", "STORY", rng)
            m.like_count = 0
            m.n_comments = 0
            m.comments_enabled = False
            m.viewers = 3 if (a.role == "small" or j == 2) else int(a.followers * 0.08) + 5
            a.stories.append(m)

    # ------------------------------------------------------------ lazy parts
    def discovery_media(self, a):
        if a.owned:
            return [m for m in a.media if not m.deleted]
        if a.media is None:
            rng = random.Random(h64(self.seed, "dm", a.username))
            a.media = []
            times = sorted((EPOCH - HOUR - int(rng.random() * 400 * DAY) for _ in range(60)), reverse=True)
            for ts in times:
                mt = rng.choice(["IMAGE", "IMAGE", "CAROUSEL_ALBUM", "VIDEO"])
                m = self._new_media(a, ts, mt, "FEED", rng, public=True)
                m.caption = self._caption(rng, a.username)
                m.like_count = int(a.followers * (0.002 + rng.random() * 0.02))
                m.n_comments = rng.randint(0, 40)
                m.no_media_url = rng.random() < 0.05  # copyrighted media: media_url omitted
                if mt == "CAROUSEL_ALBUM":
                    m.children = []
                    for _ in range(rng.randint(2, 4)):
                        c = self._new_media(a, ts, "IMAGE", "FEED", rng, parent=m, public=True)
                        m.children.append(c.id)
                a.media.append(m)
            a.media.sort(key=lambda m: (-m.ts, m.id))
        return a.media

    def tagged_media(self, a):
        if a.tags is None:
            rng = random.Random(h64(self.seed, "tags", a.id))
            a.tags = []
            others = [self.by_username[d[0]] for d in DISCOVERY]
            for k in range(25):
                o = others[k % len(others)]
                m = self._new_media(o, EPOCH - (k * 11 + 1) * DAY - rng.randint(0, DAY), "IMAGE", "FEED", rng, public=True)
                m.caption = "Coffee date with friends 📸 @%s" % a.username
                m.like_count = rng.randint(5, 900)
                m.n_comments = rng.randint(0, 12)
                a.tags.append(m)
            a.tags.sort(key=lambda m: (-m.ts, m.id))
        return a.tags

    def comment_key(self, media_seq, k):
        return h64(self.seed, "chk", media_seq, k) % 1000

    def make_comment_id(self, media, k):
        return "178%06d%05d%03d" % (media.seq, k, self.comment_key(media.seq, k))

    def load_comments(self, m):
        if m.comments is not None:
            return m.comments
        rng = random.Random(h64(self.seed, "comments", m.id))
        m.comments = []
        m.comment_index = {}
        k = 0
        t = m.ts
        for i in range(m.n_comments):
            t += rng.randint(30, 20000)
            c = self._mk_comment(m, None, k, t, rng.choice(COMMENT_TEXTS), rng)
            k += 1
            if rng.random() < 0.12:
                nrep = rng.randint(1, 40) if rng.random() < 0.3 else rng.randint(1, 4)
                rt = t
                for _ in range(nrep):
                    rt += rng.randint(30, 5000)
                    r = self._mk_comment(m, c, k, rt, rng.choice(REPLY_TEXTS), rng)
                    k += 1
                    c.replies.append(r)
            m.comments.append(c)
        return m.comments

    def _mk_comment(self, m, parent, k, ts, text, rng):
        c = Comment()
        c.k = k
        c.id = self.make_comment_id(m, k)
        c.media = m
        c.parent = parent
        c.ts = min(ts, EPOCH - 60)
        if parent is not None and rng.random() < 0.5 and m.username:
            c.username = m.username
            c.from_id = m.owner
        else:
            c.username = "%s.%s%d" % (rng.choice(FIRST), rng.choice(LAST), rng.randint(1, 99))
            c.from_id = "1" + "%016d" % (h64(self.seed, "u", c.username) % 10 ** 16)
        c.text = text
        c.like_count = int(rng.random() ** 3 * 40)
        c.hidden = parent is None and rng.random() < 0.03
        m.comment_index[k] = c
        return c

    def find_comment(self, cid):
        c = self.extra_comments.get(cid)
        if c is not None:
            return c
        if len(cid) != 17 or not cid.startswith("178") or not cid.isdigit():
            return None
        seq, k, chk = int(cid[3:9]), int(cid[9:14]), int(cid[14:])
        if seq >= len(self.media_by_seq) or self.comment_key(seq, k) != chk:
            return None
        m = self.media_by_seq[seq]
        self.load_comments(m)
        return m.comment_index.get(k)

    def new_comment(self, m, parent, text, ts, username, from_id):
        self.load_comments(m)
        c = Comment()
        c.k = m.next_k
        m.next_k += 1
        c.id = self.make_comment_id(m, c.k)
        c.media = m
        c.parent = parent
        c.ts = ts
        c.text = text
        c.username = username
        c.from_id = from_id
        c.like_count = 0
        m.comment_index[c.k] = c
        if parent is None:
            m.comments.append(c)
        else:
            parent.replies.append(c)
        return c

    def comments_count(self, m):
        if m.comments is None:
            return m.n_comments
        return sum(1 for c in m.comments if not c.deleted)

    def new_container_id(self):
        self._container_n += 1
        return "1789" + "%013d" % (h64(self.seed, "container", self._container_n) % 10 ** 13)

    # ------------------------------------------------------------ hashtag media
    def top_media(self, tag):
        key = ("top", tag)
        cache = getattr(self, "_ht_cache", None)
        if cache is None:
            cache = self._ht_cache = {}
        if key not in cache:
            rng = random.Random(h64(self.seed, "top", tag))
            items = []
            for k in range(120):
                items.append(self._public_media(rng, tag, EPOCH - rng.randint(HOUR, 30 * DAY),
                                                like=rng.randint(500, 90000)))
            items.sort(key=lambda m: (-m.like_count, m.id))
            cache[key] = items
        return cache[key]

    def recent_media(self, tag, now):
        """Media with the tag from the last 24 h of the sandbox clock."""
        cache = getattr(self, "_ht_cache", None)
        if cache is None:
            cache = self._ht_cache = {}
        step = 600 + h64("step", tag) % 1800
        out = []
        top = now // step
        for s in range(top, top - DAY // step - 1, -1):
            ts = s * step + h64(self.seed, "slot", tag, s) % step
            if ts > now or ts < now - DAY:
                continue
            key = ("recent", tag, s)
            m = cache.get(key)
            if m is None:
                rng = random.Random(h64(self.seed, "recent", tag, s))
                m = cache[key] = self._public_media(rng, tag, ts, like=rng.randint(0, 300))
            out.append(m)
        return out

    def _public_media(self, rng, tag, ts, like):
        m = Media()
        m.id = "179" + "%014d" % rng.randint(0, 10 ** 14 - 1)
        m.seq = -1
        m.owner = None
        m.username = None
        m.ts = ts
        m.media_type = rng.choice(["IMAGE", "IMAGE", "IMAGE", "CAROUSEL_ALBUM", "VIDEO"])
        m.product = "FEED"
        m.caption = "%s #%s %s" % (rng.choice(OPENERS), tag, " ".join("#" + t for t in rng.sample(HASHTAGS, 2)))
        m.like_count = like
        m.n_comments = rng.randint(0, 300)
        m.public = True
        m.ig_id = str(rng.randint(0, 10 ** 19))
        m.shortcode = shortcode(m.id)
        m.media_url = "https://scontent.cdninstagram.com/v/t51.29350-15/%s_n.jpg?_nc_sid=sbx" % m.id
        m.no_media_url = rng.random() < 0.05
        m.permalink = "https://www.instagram.com/p/%s/" % m.shortcode
        if m.media_type == "CAROUSEL_ALBUM":
            m.children = []
            for j in range(rng.randint(2, 4)):
                c = Media()
                c.id = "179" + "%014d" % rng.randint(0, 10 ** 14 - 1)
                c.seq = -1
                c.owner = None
                c.username = None
                c.ts = ts
                c.media_type = "IMAGE"
                c.product = "FEED"
                c.parent = m
                c.public = True
                c.like_count = 0
                c.ig_id = str(rng.randint(0, 10 ** 19))
                c.shortcode = shortcode(c.id)
                c.media_url = "https://scontent.cdninstagram.com/v/t51.29350-15/%s_n.jpg?_nc_sid=sbx" % c.id
                c.permalink = None
                self.media.setdefault(c.id, c)
                m.children.append(c.id)
        return m
