"""Cursor paging as a generator.

Graph edges answer ``{"data": [...], "paging": {"next": url}}``.  The only
end signal is a missing ``next``: pages can be short or even empty because
of privacy filtering, so their length says nothing.  ``next`` links carry the
token (``access_token=``) and proof; both are stripped, and only the path and
query of the link are kept and sent to our own base URL, so the token can
never follow a link to another host.
"""

from urllib.parse import parse_qsl, urlsplit

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
_SECRET_PARAMS = frozenset({"access_token", "appsecret_proof"})


def page_size_for(requested=None, limit=None):
    """The ``limit`` to ask for: requested size, at most the API's 100, shrunk to ``limit`` rows.

    Edges with a smaller cap (hashtag media: 50) say so in their table's
    ``page_cap``; the executor asks with that size."""
    size = min(int(requested or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    if limit is not None:
        size = min(size, max(1, int(limit)))
    return max(1, size)


def split_next_url(next_url):
    """``(path, [(key, value), ...])`` of a ``paging.next`` link, secrets removed."""
    parts = urlsplit(next_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in _SECRET_PARAMS]
    return parts.path or "/", query


def with_limit(query, size):
    """Set the ``limit`` of a next-link query (used to shrink the last page)."""
    out = [(k, v) for k, v in query if k != "limit"]
    out.append(("limit", str(size)))
    return out


def next_link(body):
    paging = body.get("paging") if isinstance(body, dict) else None
    if isinstance(paging, dict):
        nxt = paging.get("next")
        if isinstance(nxt, str) and nxt:
            return nxt
    return None


def iter_pages(fetch_first, fetch_next, page_size, limit=None, on_page=None):
    """Yield rows of every page until ``next`` is missing or ``limit`` rows were given.

    ``fetch_first()`` returns the first page body; ``fetch_next(path, query)``
    fetches a stripped next link.  Each page is one request with its own
    retries, so a failure never repeats rows that were already yielded.
    """
    remaining = None if limit is None else int(limit)
    if remaining is not None and remaining <= 0:
        return
    body = fetch_first()
    while True:
        if on_page is not None:
            on_page()
        rows = body.get("data") if isinstance(body, dict) else None
        if rows is None:
            rows = []
        for row in rows:
            yield row
            if remaining is not None:
                remaining -= 1
                if remaining <= 0:
                    return
        link = next_link(body)
        if link is None:
            return
        path, query = split_next_url(link)
        if remaining is not None and remaining < page_size:
            query = with_limit(query, max(1, remaining))
        body = fetch_next(path, query)
