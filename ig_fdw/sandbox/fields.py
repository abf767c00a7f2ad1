"""Parser for the Graph API ``fields`` expression (field expansion).

Grammar::

    list     := field ("," field)*
    field    := name ("." modifier "(" arg ")")* ("{" list "}")?

e.g. ``id,caption,children{media_url},comments.limit(5){text,replies{text}}``
or ``business_discovery.username(bluebottle){followers_count,media.limit(3){id}}``.
"""

from .errors import GraphError


class FieldSpec:
    __slots__ = ("name", "mods", "children")

    def __init__(self, name, mods=None, children=None):
        self.name = name
        self.mods = mods or {}
        self.children = children

    def __repr__(self):
        return "FieldSpec(%r, %r, %r)" % (self.name, self.mods, self.children)


_IDENT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _syntax(s, pos, msg):
    return GraphError('Syntax error "%s" at character %d: %s' % (msg, pos, s), 2500)


def parse_fields(s):
    if s is None:
        return None
    s = s.strip()
    if not s:
        return None
    n = len(s)
    pos = 0

    def ws():
        nonlocal pos
        while pos < n and s[pos] in " \t\r\n":
            pos += 1

    def ident():
        nonlocal pos
        start = pos
        while pos < n and s[pos] in _IDENT:
            pos += 1
        return s[start:pos]

    def parse_list():
        nonlocal pos
        items = []
        while True:
            ws()
            name = ident()
            if not name:
                if pos < n:
                    raise _syntax(s, pos, 'Expected field name instead of "%s".' % s[pos])
                raise _syntax(s, pos, "Expected field name instead of end of string.")
            mods = {}
            while pos < n and s[pos] == ".":
                pos += 1
                mname = ident()
                if not mname or pos >= n or s[pos] != "(":
                    raise _syntax(s, pos, 'Expected "(" after modifier.')
                pos += 1
                depth = 1
                start = pos
                while pos < n and depth:
                    if s[pos] == "(":
                        depth += 1
                    elif s[pos] == ")":
                        depth -= 1
                    pos += 1
                if depth:
                    raise _syntax(s, pos, 'Expected ")" instead of end of string.')
                mods[mname] = s[start:pos - 1]
            children = None
            ws()
            if pos < n and s[pos] == "{":
                pos += 1
                children = parse_list()
                ws()
                if pos >= n or s[pos] != "}":
                    raise _syntax(s, pos, 'Expected "}" instead of end of string.')
                pos += 1
            items.append(FieldSpec(name, mods, children))
            ws()
            if pos < n and s[pos] == ",":
                pos += 1
                continue
            return items

    result = parse_list()
    ws()
    if pos != n:
        raise _syntax(s, pos, 'Expected end of string instead of "%s".' % s[pos])
    return result
