"""Agency-scale sandbox: many IG business accounts behind one user token.

``seed_accounts(app, n)`` adds ``n`` owned business accounts to the seeded
world (beside the three of ``data.World``, whose data it does not touch):

* every account is reachable by the sandbox's default user token (an agency
  whose Facebook user manages all its clients' accounts);
* media counts are realistic and skewed: about a third of the accounts have
  ~1,000 posts, the rest 40-800, spread over two years before the clock
  start, and the accounts keep posting *after* it at the same rate (posts and
  stories carry future timestamps and appear as the tests move the clock);
* about 1 % of the posts predate the account's conversion to a business
  account (insights answer subcode 2108006), and about one story in ten has
  fewer than 5 viewers (insights answer code 10);
* each account has its own Business Use Case budget per rolling hour
  (``AgencyLimits``): a call to an account counts against that account only,
  and the user token's own limit is the sum of its accounts' budgets, as for
  the real API where BUC limits, not the platform limit, apply to business
  objects.

Everything derives from the world seed and ``n``: two sandboxes seeded alike
answer alike.
"""

import random

from .clock import DAY, EPOCH
from .entities import Account
from .keyed import h64
from .limits import Limits
from .world import pick_media_kind

HOUR = 3600
#: Days of future activity generated after the clock start.
HORIZON_DAYS = 45


class AgencyLimits(Limits):
    """Limits with one BUC budget per agency account (others keep the default);
    counting and headers are Limits' own."""

    def __init__(self, clock, budget_per_hour, account_budgets):
        super().__init__(clock, budget_per_hour)
        self.account_budgets = dict(account_budgets)

    def budget_of(self, account):
        return self.account_budgets.get(account, self.budget)

    def _principal_budget(self, p):
        if p is not None and p[0] == "user":
            return self.budget + sum(self.account_budgets.values())
        return self.budget

    def usage_of(self, account):
        """Percent of its hourly budget the account has used (for benches and tests)."""
        return self._pct(self._count(("buc", account), self.clock.now()), self.budget_of(account))


def _media_count(rng):
    if rng.random() < 0.35:
        return rng.randint(950, 1100)
    return int(40 * (20 ** rng.random()))          # 40..800, log-uniform


def _new_post(world, a, ts, rng):
    mt, prod = pick_media_kind(rng)
    m = world._new_media(a, ts, mt, prod, rng)
    m.caption = "Post %d of @%s #agency" % (m.seq, a.username)
    m.like_count = int(max(a.followers, 50) * (0.005 + rng.random() * 0.04))
    m.n_comments = int(rng.random() * 6)
    if mt == "CAROUSEL_ALBUM":
        m.children = []
        for _ in range(2):
            c = world._new_media(a, ts, "IMAGE", "FEED", rng, parent=m)
            c.n_comments = 0
            c.like_count = 0
            m.children.append(c.id)
    return m


def _new_story(world, a, ts, rng):
    m = world._new_media(a, ts, "IMAGE", "STORY", rng)
    m.like_count = 0
    m.n_comments = 0
    m.comments_enabled = False
    m.viewers = 2 if rng.random() < 0.1 else int(a.followers * 0.05) + 5
    return m


def _seed_one(world, i, rng):
    aid = "178414" + "%011d" % (h64(world.seed, "agency", i) % 10 ** 11)
    while aid in world.accounts or aid in world.by_username:
        aid = str(int(aid) + 1)
    username = "client%03d.agency" % i
    a = Account(aid, username, "Client %03d" % i)
    a.role = "agency"
    a.owned = True
    a.ig_id = 10 ** 9 + h64(world.seed, "agency-ig", i) % (9 * 10 ** 9)
    a.followers = int(300 * (1000 ** rng.random()))          # 300 .. 300k
    a.follows = rng.randint(100, 900)
    a.biography = "Client %03d of the agency" % i
    a.website = "https://client%03d.example/" % i
    a.picture = "https://scontent.cdninstagram.com/v/t51.2885-19/%s_profile.jpg?_nc_sid=sbx" % aid
    n = _media_count(rng)
    span = 730 * DAY
    a.business_since = EPOCH - int(span * 0.99)              # the oldest 1 % predate the conversion
    per_second = n / float(span)
    times = [EPOCH - HOUR - int(rng.random() * span) for _ in range(n)]
    future = int(per_second * HORIZON_DAYS * DAY + rng.random())
    times += [EPOCH + int(rng.random() * HORIZON_DAYS * DAY) for _ in range(future)]
    for ts in sorted(times, reverse=True):
        a.media.append(_new_post(world, a, ts, rng))
    a.media.sort(key=lambda m: (-m.ts, m.id))
    stories_per_day = rng.choice((0, 1, 1, 2, 3))
    for d in range(-1, HORIZON_DAYS):
        for _ in range(stories_per_day):
            a.stories.append(_new_story(world, a, EPOCH + d * DAY + int(rng.random() * DAY), rng))
    world.accounts[aid] = a
    world.by_username[username] = a
    return aid


def seed_accounts(app, n, budget_range=(200, 800)):
    """Add ``n`` agency accounts to ``app``'s world; return their ids.

    Each gets a BUC budget per hour drawn from ``budget_range``; the app's
    limits become :class:`AgencyLimits` (other accounts keep the sandbox's
    ``budget_per_hour``).
    """
    world = app.world
    rng = random.Random(h64("agency", world.seed, n))
    ids = []
    budgets = {}
    with app.lock:
        for i in range(int(n)):
            aid = _seed_one(world, i, rng)
            ids.append(aid)
            budgets[aid] = rng.randint(*budget_range)
        world.user.accounts.extend(ids)
        world.agency_ids = ids
        app.limits = AgencyLimits(app.clock, app.budget_per_hour, budgets)
    return ids
