"""Graph API error objects.

Envelope (as the real API): ``{"error": {"message", "type", "code",
"error_subcode" (only when there is one), "fbtrace_id"}}``; a few errors also
carry ``is_transient``, ``error_user_title`` and ``error_user_msg``.

HTTP status: the real API answers almost every error with 400 (Meta's error
handling page: "usually 400 (some 403/500)").  The sandbox uses 400 for
everything except injected 5xx faults.  [U] the exact status for throttling
(sometimes seen as 403) and token errors (sometimes 401) is not confirmed; 400
is the common case.
"""


class GraphError(Exception):
    def __init__(self, message, code, type="OAuthException", subcode=None,
                 status=400, transient=None, user_title=None, user_msg=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.subcode = subcode
        self.status = status
        self.transient = transient
        self.user_title = user_title
        self.user_msg = user_msg

    def body(self, fbtrace_id, flavour="fb"):
        err = {"message": self.message}
        t = self.type
        if flavour == "ig" and t in ("OAuthException", "GraphMethodException"):
            # graph.instagram.com reports IGApiException (Meta's Instagram error codes page)
            t = "IGApiException"
        err["type"] = t
        err["code"] = self.code
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.transient is not None:
            err["is_transient"] = self.transient
        if self.user_title:
            err["error_user_title"] = self.user_title
        if self.user_msg:
            err["error_user_msg"] = self.user_msg
        err["fbtrace_id"] = fbtrace_id
        return {"error": err}


def not_found(obj_id, method="GET"):
    verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(method, method.lower())
    return GraphError(
        "Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api" % (verb, obj_id),
        100, type="GraphMethodException", subcode=33)


def unknown_path(rest):
    return GraphError("Unknown path components: %s" % rest, 2500)


def nonexisting_field(field, node_type):
    return GraphError("(#100) Tried accessing nonexisting field (%s) on node type (%s)"
                      % (field, node_type), 100)


def param_error(message, subcode=None):
    return GraphError("(#100) " + message, 100, subcode=subcode)


def no_permission():
    return GraphError("(#10) Application does not have permission for this action", 10)
