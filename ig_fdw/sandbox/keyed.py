"""Keyed hashes every seeded value is derived from, and the id shapes.

``h64(*parts)`` hashes its parts (seed, a label, object keys), so a value does
not depend on the order in which things are first touched: the world builds
media eagerly but comment threads, discovery accounts, hashtag media and all
insight values lazily, and tokens, codes and fault rates use the same hash.

Id shapes (all strings, numeric-looking):

* Meta app id: 15 digits; Facebook user: 15 digits starting "10"; pages:
  15 digits starting "1"; IG business accounts: 17 digits "178414...".
* media / carousel children / stories: 17 digits "179...".
* comments and replies: 17 digits ``"178" + media-seq(6) + k(5) + check(3)``,
  decodable so a comment can be read by id before its thread was listed.
* hashtags: "17843..." and, like the real ones, global (independent of seed).
* publishing containers: 17 digits "1789...".
"""

import hashlib


def h64(*parts):
    d = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(d, "big")


def hfrac(*parts):
    return h64(*parts) / 18446744073709551616.0


B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def shortcode(*parts):
    n = h64("sc", *parts)
    out = []
    for _ in range(11):
        out.append(B62[n % 64])
        n //= 64
        if n == 0:
            n = h64("sc2", *parts, len(out))
    return "".join(out)


def hashtag_id(name):
    # global and static like the real ones (do not depend on seed)
    return "17843" + "%012d" % (h64("hashtag", name.lower()) % 10 ** 12)
