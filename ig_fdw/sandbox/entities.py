"""The objects of the sandbox world: users, pages, IG accounts, media,
comments and publishing containers.

Plain records with their defaults; world.py creates and links them (with
seeded values), the handlers read and change them.  ``Media`` and ``Comment``
use ``__slots__``: the seeded world holds several thousand of each.
"""


class User:
    def __init__(self, id, name, scopes):
        self.id = id
        self.name = name
        self.scopes = scopes
        self.pages = []       # page ids
        self.accounts = []    # IG account ids the user can reach


class FbPage:
    def __init__(self, id, name, category, ig_id):
        self.id = id
        self.name = name
        self.category = category
        self.ig_id = ig_id


class Account:
    def __init__(self, id, username, name):
        self.id = id
        self.username = username
        self.name = name
        self.ig_id = 0
        self.biography = ""
        self.website = ""
        self.followers = 0
        self.follows = 0
        self.picture = ""
        self.business_since = 0
        self.page_id = None
        self.owned = False
        self.media = []      # feed media, newest first
        self.stories = []    # story media (including expired)
        self.tags = None     # lazily generated
        self.mentions = []   # media ids (of others) whose caption mentions us
        self.mention_comments = []


class Media:
    __slots__ = ("id", "seq", "owner", "username", "ts", "media_type", "product", "caption",
                 "like_count", "hide_likes", "comments_enabled", "children", "parent",
                 "media_url", "thumbnail_url", "permalink", "shortcode", "ig_id", "deleted",
                 "n_comments", "comments", "comment_index", "next_k", "viewers", "public",
                 "no_media_url")

    def __init__(self):
        self.children = None
        self.parent = None
        self.deleted = False
        self.comments = None
        self.comment_index = None
        self.next_k = 50000
        self.viewers = None
        self.public = False
        self.no_media_url = False
        self.thumbnail_url = None
        self.caption = None
        self.n_comments = 0
        self.hide_likes = False
        self.comments_enabled = True


class Comment:
    __slots__ = ("id", "media", "parent", "text", "ts", "username", "from_id", "like_count",
                 "hidden", "deleted", "replies", "k")

    def __init__(self):
        self.parent = None
        self.hidden = False
        self.deleted = False
        self.replies = []


class Container:
    def __init__(self, id, owner, params, created, polls_needed, outcome):
        self.id = id
        self.owner = owner
        self.params = params
        self.created = created
        self.polls = 0
        self.polls_needed = polls_needed
        self.outcome = outcome  # FINISHED | ERROR | EXPIRED
        self.published_media = None
