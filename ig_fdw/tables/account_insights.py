"""Account insights: account metrics by day or over a range, broken down by
follow type, media product type or contact button, audience demographics,
online followers, and the long ``insights`` table (any metric, one row per
value).

period, metric_type, breakdown, timeframe, since and until are *control*
columns: filters on them become API parameters and are echoed back in the
rows (CData's Period and MetricType).  Which metric_type gives which metric
is declared per column (``metric_types``).

How rows are fetched (ig_fdw/insights.py, account part): one call to
``/{account}/insights`` per account; a since/until range longer than the
API's 30 days is asked in windows of at most 30 days, concurrently (up to
MaxConcurrency), and the rows come back in time order.  The ``daily``
tables (time series of breakdowns, which the API gives only as totals) ask
one total per whole day between since (required) and until (default:
since + 7 days).
"""

from ig_fdw.catalog.model import Column as C, InsightsSpec, KeyQual as Q, Source, Table, EQ, IN, RANGE  # noqa: F401
from ig_fdw.tables.common import ACCOUNT, ACCOUNT_Q, INSIGHT_SCOPES
from ig_fdw.tables.media_insights import metric

TS = ("default", "time_series")
TOTAL = ("total_value",)


PERIOD = C("period", "text", "control", kind="name", default="day", choices=("day", "week", "days_28", "month", "lifetime",
                                                             "total_over_range"))
SINCE = C("since", "timestamptz", "control", doc="start of the range (API since=)")
UNTIL = C("until", "timestamptz", "control", doc="end of the range (API until=)")
TIMEFRAME = C("timeframe", "text", "control", kind="name", choices=("last_14_days", "last_30_days", "last_90_days",
                                                        "prev_month", "this_month", "this_week"))


def present(keys, columns):
    """The KeyQuals whose column the table has."""
    names = {c.name for c in columns}
    return tuple(q for q in keys if q.column in names)


CONTROL_KEYS = (ACCOUNT_Q, Q("period", EQ, "param"), Q("since", RANGE + EQ, "since"),
                Q("until", RANGE + EQ, "until"), Q("metric_type", EQ, "param"), Q("timeframe", EQ, "param"))
END_TIME = C("end_time", "timestamptz", "context")

ACCOUNT_TOTAL_METRICS = ("views", "reach", "accounts_engaged", "total_interactions", "likes", "comments",
                         "shares", "saves", "replies", "follows_and_unfollows", "profile_links_taps")


def account_table(name, doc, reference, metrics, metric_type=None, breakdown=None, dimension=None,
                  extra=(), period_default="day", rows=30, daily=False):
    columns = (ACCOUNT, END_TIME) + ((C(dimension, "text", "context", path="dimension", doc="breakdown value"),)
                                     if dimension else ()) + (
        C("period", "text", "control", kind="name", default=period_default, choices=PERIOD.choices),
        C("metric_type", "text", "control", kind="name", default=metric_type or "default",
          choices=("default", "time_series", "total_value")),
        SINCE, UNTIL) + tuple(extra) + tuple(m if not isinstance(m, str) else metric(m) for m in metrics)
    keys = present(CONTROL_KEYS, columns)
    if daily:
        keys = tuple(q for q in keys if q.column != "since") + (
            Q("since", RANGE + EQ, "since", required=True),)
    return Table(name, doc,
                 Source("insights", insights=InsightsSpec("account", metric_type=metric_type, breakdown=breakdown,
                                                          daily=daily)),
                 columns, keys, reference=reference, rows_estimate=rows, scopes=INSIGHT_SCOPES)


ACCOUNT_INSIGHTS = account_table(
    "account_insights", "Account insights by day (period, metric_type, since and until are filters that "
    "become API parameters, as CData's Period and MetricType).", "AccountInsights",
    (metric("reach", metric_types=TS + TOTAL), metric("follower_count", metric_types=TS),
     metric("views", metric_types=TOTAL), metric("accounts_engaged", metric_types=TOTAL),
     metric("total_interactions", metric_types=TOTAL)))
ACCOUNT_WITHOUT_BREAKDOWN = account_table(
    "account_without_breakdown", "Account totals over a range (metric_type total_value).",
    "AccountWithoutBreakdown", ACCOUNT_TOTAL_METRICS, metric_type="total_value", rows=1)
ACCOUNT_TS_WITHOUT_BREAKDOWN = account_table(
    "account_time_series_without_breakdown", "Account metrics as a daily time series.",
    "AccountTimeSeriesWithoutBreakdown", ("reach", "follower_count"), metric_type="time_series")
ACCOUNT_CONTACT_BUTTON = account_table(
    "account_contact_button_type", "Profile link taps by contact button type.", "AccountContactButtonType",
    ("profile_links_taps",), metric_type="total_value", breakdown="contact_button_type",
    dimension="contact_button_type", rows=5)
ACCOUNT_FOLLOW_TYPE = account_table(
    "account_follow_type", "Reach and follows by follower / non-follower.", "AccountFollowType",
    ("reach", "follows_and_unfollows"), metric_type="total_value", breakdown="follow_type",
    dimension="follow_type", rows=3)
ACCOUNT_MEDIA_PRODUCT_TYPE = account_table(
    "account_media_product_type", "Account metrics by media product type (POST, REEL, STORY, ...).",
    "AccountMediaProductType", ("views", "reach", "total_interactions", "likes", "comments", "shares", "saves",
                                "replies"), metric_type="total_value", breakdown="media_product_type",
    dimension="media_product_type", rows=5)
# The API breaks totals down, not time series: these ask one total per day
# between since (required) and until (default: since + 7 days).
ACCOUNT_TS_FOLLOW_TYPE = account_table(
    "account_time_series_follow_type", "Reach and follows by follow type, day by day (one call per day).",
    "AccountTimeSeriesFollowType", ("reach", "follows_and_unfollows"), metric_type="total_value",
    breakdown="follow_type", dimension="follow_type", daily=True)
ACCOUNT_TS_MEDIA_PRODUCT_TYPE = account_table(
    "account_time_series_media_product_type", "Account metrics by media product type, day by day "
    "(one call per day).", "AccountTimeSeriesMediaProductType", ("reach", "views", "total_interactions"),
    metric_type="total_value", breakdown="media_product_type", dimension="media_product_type", daily=True)

AUDIENCE = Table(
    "audience_insights", "Follower or engaged-audience demographics (needs 100+ followers).",
    Source("insights", insights=InsightsSpec("account", metric_type="total_value")),
    (ACCOUNT,
     C("metric", "text", "control", kind="name", default="follower_demographics",
       choices=("follower_demographics", "engaged_audience_demographics")),
     C("breakdown", "text", "control", kind="names", default="country", choices=("age", "city", "country", "gender", "age,gender"),
       doc="CData's AudienceType"),
     C("timeframe", "text", "control", kind="name", default="last_30_days", choices=TIMEFRAME.choices),
     C("period", "text", "control", kind="name", default="lifetime"),
     C("audience_group", "text", "context", path="dimension", doc="the breakdown value (e.g. a country code)"),
     C("total_audience", "bigint", "context", path="value")),
    (ACCOUNT_Q, Q("metric", EQ, "param"), Q("breakdown", EQ, "param"), Q("timeframe", EQ, "param")),
    reference="AudienceInsights", rows_estimate=50, scopes=INSIGHT_SCOPES)

ONLINE_FOLLOWERS = Table(
    "online_followers", "Followers online by hour of day (needs 100+ followers).",
    Source("insights", insights=InsightsSpec("account", shape="hourly")),
    (ACCOUNT, END_TIME, C("hour", "integer", "context"), C("followers", "bigint", "context"),
     C("period", "text", "control", kind="name", default="lifetime"), SINCE, UNTIL,
     C("metric", "text", "control", kind="name", default="online_followers")),
    (ACCOUNT_Q, Q("since", RANGE + EQ, "since"), Q("until", RANGE + EQ, "until")), reference="OnlineFollowers", rows_estimate=24 * 7, scopes=INSIGHT_SCOPES)

INSIGHTS_LONG = Table(
    "insights", "Any insights metric, one row per value: filter on metric (and object_id for media).",
    Source("insights", insights=InsightsSpec("account", shape="long")),
    (C("object_id", "text", "context", kind="graph_id"), ACCOUNT, C("metric", "text", "context", kind="name"),
     C("period", "text", "control", kind="name", default="day", choices=PERIOD.choices),
     C("metric_type", "text", "control", kind="name", choices=("default", "time_series", "total_value")),
     C("breakdown", "text", "control", kind="names"), TIMEFRAME, SINCE, UNTIL, END_TIME,
     C("dimension_values", "text[]", "context"), C("value", "bigint", "context"),
     C("value_json", "jsonb", "context", doc="the raw value (objects for online_followers)")),
    (Q("metric", IN, "param", required=True), Q("object_id", IN, "parent"), ACCOUNT_Q,
     Q("period", EQ, "param"), Q("metric_type", EQ, "param"), Q("breakdown", EQ, "param"),
     Q("timeframe", EQ, "param"), Q("since", RANGE + EQ, "since"), Q("until", RANGE + EQ, "until")),
    rows_estimate=100, scopes=INSIGHT_SCOPES)

