"""Instagram's rules for comment and reply text, checked before any call.

Comments and replies (docs/writes.md, "Comment and reply rules"): at most 300
characters, at most 4 hashtags, at most 1 URL, not all capitals.  Captions of
published media: at most 2,200 characters, 30 hashtags, 20 @tags.

`comment_violation(text)` and `caption_violation(text)` return None or a
(rule, explanation) pair; the caller turns it into an error naming the row.
"""

import re

MAX_COMMENT_CHARS = 300
MAX_COMMENT_HASHTAGS = 4
MAX_COMMENT_URLS = 1
MIN_LETTERS_FOR_CAPS_RULE = 3

MAX_CAPTION_CHARS = 2200
MAX_CAPTION_HASHTAGS = 30
MAX_CAPTION_MENTIONS = 20

HASHTAG_RE = re.compile(r"(?<![\w&])#\w+", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+", re.UNICODE)
# A URL: a scheme or www. prefix, or a bare host name ending in a common TLD.
URL_RE = re.compile(
    r"(?i)(?:\bhttps?://[^\s]+|\bwww\.[^\s]+|"
    r"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|net|org|io|co|me|ly|info|biz|app|dev|gl|be|us|uk|de|fr)"
    r"\b(?:/[^\s]*)?)")

def count_hashtags(text):
    return len(HASHTAG_RE.findall(text or ""))


def count_urls(text):
    return len(URL_RE.findall(text or ""))


def count_mentions(text):
    return len(MENTION_RE.findall(text or ""))


def all_capitals(text):
    letters = [c for c in (text or "") if c.isupper() or c.islower()]
    return len(letters) >= MIN_LETTERS_FOR_CAPS_RULE and all(c.isupper() for c in letters)


def comment_violation(text):
    """None when `text` may be posted as a comment or reply, else (rule, why)."""
    if text is None or not str(text).strip():
        return ("text required", "the text is empty")
    text = str(text)
    if len(text) > MAX_COMMENT_CHARS:
        return ("at most %d characters" % MAX_COMMENT_CHARS, "the text has %d characters" % len(text))
    n = count_hashtags(text)
    if n > MAX_COMMENT_HASHTAGS:
        return ("at most %d hashtags" % MAX_COMMENT_HASHTAGS, "the text has %d hashtags" % n)
    n = count_urls(text)
    if n > MAX_COMMENT_URLS:
        return ("at most %d URL" % MAX_COMMENT_URLS, "the text has %d URLs" % n)
    if all_capitals(text):
        return ("not all capitals", "every letter of the text is a capital")
    return None


def caption_violation(text):
    """None when `text` is an acceptable caption of a published post, else (rule, why)."""
    if text is None:
        return None
    text = str(text)
    if len(text) > MAX_CAPTION_CHARS:
        return ("caption at most %d characters" % MAX_CAPTION_CHARS, "the caption has %d characters" % len(text))
    n = count_hashtags(text)
    if n > MAX_CAPTION_HASHTAGS:
        return ("caption at most %d hashtags" % MAX_CAPTION_HASHTAGS, "the caption has %d hashtags" % n)
    n = count_mentions(text)
    if n > MAX_CAPTION_MENTIONS:
        return ("caption at most %d @mentions" % MAX_CAPTION_MENTIONS, "the caption has %d @mentions" % n)
    return None

