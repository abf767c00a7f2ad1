"""A write whose answer was lost: find out what happened before reporting it.

The Graph client raises AmbiguousWrite when a POST or DELETE may have reached
Instagram but its answer did not come back (a connection reset or timeout
after sending, an HTTP 5xx).  Sending it again blindly could post a comment
twice; reporting a failure could hide a write that landed.  `send_once` is
the one place that decides, for every write handler:

* `look_up`: look for the object the write creates (a comment with the same
  text by the account); found, it is the result and nothing is sent again;
* `resend`: a write that repeating cannot duplicate (hide, comment_enabled,
  DELETE, a container, media_publish of one container) is sent once more;
* `landed(exc)`: the error of that second request may prove the first one
  landed (DELETE: "does not exist"; media_publish: "already published");
* otherwise the row fails with MaybeSent (SQLSTATE 40003), saying the write
  may or may not have been applied.
"""

from ig_fdw.graph.errors import AmbiguousWrite, GraphError
from ig_fdw.writes.errors import MaybeSent


def send_once(send, what, look_up=None, resend=False, landed=None, done="applied", not_found=""):
    """`send()`, settling a lost answer as the module doc says.

    what: the subject of the error ("the comment", "hiding comment 17...");
    done: its past participle ("posted"); not_found: the end of the error
    when `look_up` found nothing (", and no comment ... was found").
    """
    try:
        return send()
    except AmbiguousWrite as exc:
        lost = exc
    if look_up is not None:
        found = look_up()
        if found is not None:
            return found
    if not resend:
        raise MaybeSent("%s may or may not have been %s: the connection failed after the request was sent (%s)%s"
                        % (what, done, lost.message, not_found))
    try:
        return send()
    except AmbiguousWrite as exc:
        raise MaybeSent("%s may or may not have been %s (the connection failed twice after the request was "
                        "sent: %s)" % (what, done, exc.message))
    except GraphError as exc:
        result = landed(exc) if landed is not None else None
        if result is None:
            raise
        return result
