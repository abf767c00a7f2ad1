"""Graph API JSON -> row values of the declared column types."""

import datetime
import json

UTC = datetime.timezone.utc


def parse_graph_time(value):
    """'2019-04-05T07:56:32+0000' (the Graph API's format) -> aware datetime."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, UTC)
    text = str(value)
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d"):
        try:
            parsed = datetime.datetime.strptime(text, fmt)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            continue
    return text   # let PostgreSQL's input function judge it


def dig(obj, path):
    """obj['a']['b'] for 'a.b'; None when any step is missing."""
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def coerce(value, pgtype):
    """A Graph value as the column's type wants it (None stays None)."""
    if value is None:
        return None
    if pgtype == "timestamptz":
        return parse_graph_time(value)
    if pgtype in ("integer", "bigint"):
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            return None if value == "" else value
    if pgtype in ("double precision", "numeric"):
        return value
    if pgtype == "boolean":
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
    if pgtype == "jsonb":
        return value
    if pgtype == "text[]":
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    if pgtype == "text":
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)
    return value


def build_row(table, columns, obj, context):
    """One row dict for the requested columns.

    context: values known from the request (business_account_id, the parent
    id, echoed control parameters); a 'context' column whose value the
    request did not give falls back to its field path in the object.
    """
    row = {}
    for name in columns:
        col = table.column(name)
        if col is None:
            continue
        if col.origin in ("context", "control"):
            value = context.get(name)
            if value is None and col.path and obj is not None:
                value = dig(obj, col.path)
            if value is None and col.origin == "control":
                value = col.default
        else:
            value = dig(obj, col.source_path) if obj is not None else None
        row[name] = coerce(value, col.type)
    return row
