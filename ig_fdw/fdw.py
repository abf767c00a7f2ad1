"""InstagramFDW: the Multicorn class PostgreSQL talks to.

Data flows one way: options -> auth (token provider) -> planner (quals,
columns, sort, limit -> a ScanPlan) -> executor (Graph client) -> rows.
Each foreign table names its catalog entry with the table option `table`;
what differs between tables (keys, metrics, page caps, write handler) is
read from the fields of that entry (ig_fdw/tables/), never chosen by table
name here.  The executor gets what it needs (client, accounts, NOTICE
function) in a ScanContext and never calls back into this class.  It runs
unchanged on upstream multicorn2 and on the project's runtime (pgext/),
using the runtime's extras when present.
"""

from multicorn import ColumnDefinition, ForeignDataWrapper, TableDefinition
from multicorn.utils import log_to_postgres

from ig_fdw import catalog, costs, connection, executor, joins, options, planner, scopes, server_check, windows
from ig_fdw.graph.errors import PermissionDenied
from ig_fdw.values import UNBOUND


try:  # our runtime's cancel hook; absent on upstream multicorn2 before 3.2
    from multicorn.utils import check_interrupts as _check_interrupts
except ImportError:  # pragma: no cover
    _check_interrupts = None


class FdwError(Exception):
    """An error the user must fix (bad table option, unknown table)."""

    def __init__(self, message, hint=None, sqlstate="HV000"):
        super().__init__(message)
        self.hint = hint
        self.sqlstate = sqlstate


def _notice(message):
    log_to_postgres(message)


class InstagramFDW(ForeignDataWrapper):
    """Foreign tables over the Instagram Graph API (see docs/tables.md)."""

    def __init__(self, fdw_options, fdw_columns):
        super(InstagramFDW, self).__init__(fdw_options, fdw_columns)
        name = fdw_options.get("table")
        self.table = catalog.get(name) if name else None
        if self.table is None and name == server_check.PROBE_TABLE:   # ig-fdw doctor --dsn, not imported
            self.table = server_check.probe_table()
        if self.table is None:
            raise FdwError("foreign table option table '%s' is not an ig_fdw table" % name if name else
                           "the foreign table has no option 'table'",
                           hint="Use IMPORT FOREIGN SCHEMA instagram FROM SERVER ... INTO ...; "
                                "known tables: %s" % ", ".join(catalog.names()), sqlstate="HV00D")
        unknown = [c for c in fdw_columns if self.table.column(c) is None]
        if unknown:
            raise FdwError("column %s of foreign table '%s' is not in ig_fdw's %s table" % (
                ", ".join(unknown), name, name),
                hint="Its columns are: %s" % ", ".join(c.name for c in self.table.columns), sqlstate="HV005")
        self.fdw_options = fdw_options
        self._recent = None
        if self.table.writable:
            from ig_fdw import writes
            self._recent = writes.RecentRows()   # lets UPDATE compare with the scanned row
        self._conn = None
        self._plan_opts = None    # resolved options for get_call_estimate (False: they do not parse)
        self._executed = False
        self._noticed = set()     # NOTICEs already given in this statement (rescans repeat none)

    @property
    def conn(self):
        if self._conn is None:   # the user mapping's connection, shared by its tables (ig_fdw.connection)
            self._conn = connection.get(self.fdw_options, _check_interrupts)
        return self._conn

    # ---- planning
    def get_rel_size(self, quals, columns):
        rows = self.table.rows_estimate
        try:
            plan = planner.plan_scan(self.table, quals, columns)
            if plan.ids is not None:
                rows = len(plan.ids)
            elif plan.parents is not None:
                per = dict((keys, n) for keys, n in self.table.path_keys)
                rows = max(1, len(plan.parents)) * next(iter(per.values()), rows)
        except (planner.MissingQual, planner.BadQualValue):
            pass   # reported by execute(); a join may still supply the value
        return (rows, 40 * max(1, len(columns)))

    def get_call_estimate(self, quals, columns):
        """(calls, rounds) of one execute() with these quals (our runtime's cost model, ig_fdw.costs)."""
        try:
            plan = planner.plan_scan(self.table, quals, columns)
        except planner.MissingQual:
            return costs.UNRUNNABLE     # execute() would fail: any plan that supplies the qual is cheaper
        except planner.BadQualValue:
            return None     # the runtime's default; execute() reports the problem
        opts = self._planning_options()
        if opts is None:
            return None
        return costs.estimate(plan, pagesize=opts.pagesize, concurrency=opts.max_concurrency,
                              expansion=opts.field_expansion != "off", version=opts.version)

    def _planning_options(self):
        """The options resolved as the connection resolves them, without building it (planning needs no
        token); None when they do not parse: execute() reports that with its own message."""
        if self._plan_opts is None:
            try:
                self._plan_opts = options.resolve(self.fdw_options, extra_keys=connection.CORE_TABLE_OPTIONS)
            except options.OptionError:
                self._plan_opts = False
        return self._plan_opts or None

    def get_path_keys(self):
        return [tuple((keys, rows)) for keys, rows in self.table.path_keys]

    def can_sort(self, sortkeys):
        order = self.table.source.native_order
        if order and sortkeys and sortkeys[0].attname == order[0] and sortkeys[0].is_reversed == order[1]:
            return sortkeys[:1]
        return []

    def can_limit(self, limit, offset):
        return self.table.source.kind in ("edge", "me", "expansion")

    def explain(self, quals, columns, sortkeys=None, verbose=False, limit=None, offset=None):
        try:
            plan = planner.plan_scan(self.table, quals, columns, sortkeys, limit, offset)
        except planner.MissingQual as e:
            return ["Graph: %s" % e]
        lines = describe_plan(plan)
        if self._executed and self._conn is not None:
            # EXPLAIN ANALYZE: explain() runs after the scan, before end_scan()
            lines.extend(self._conn.stats.explain_lines())
        return lines

    # ---- join pushdown (our runtime only; ig_fdw.joins decides and runs it)
    def get_join_estimate(self, other, clauses, quals, other_quals, columns, other_columns):
        """`self JOIN other` as one stream of self's pages (self the parent: media JOIN media_insights,
        media JOIN comments), or None: PostgreSQL then joins the two scans itself."""
        if not isinstance(other, InstagramFDW):
            return None
        opts, other_opts = self._planning_options(), other._planning_options()
        if opts is None or other_opts is None or opts.field_expansion == "off" or \
                not joins.same_connection(self.fdw_options, other.fdw_options):
            return None
        try:
            plan = joins.plan_join(self.table, other.table, clauses, quals, other_quals, columns, other_columns)
        except (joins.Declined, planner.MissingQual):
            return None
        except planner.BadQualValue:
            # a value that cannot go into a request: taken, so that execute_join() refuses it before any
            # call (two scans joined by PostgreSQL could send the other table's calls before the error)
            return {"rows": 1, "calls": 1, "rounds": 1}
        return joins.estimate(plan, pagesize=opts.pagesize, concurrency=opts.max_concurrency)

    def execute_join(self, other, clauses, quals, other_quals, columns, other_columns):
        try:
            plan = joins.plan_join(self.table, other.table, clauses, quals, other_quals, columns, other_columns)
        except joins.Declined as err:     # planned as a join, so only a bound value could change that
            raise FdwError("ig_fdw cannot run this join of %s and %s: %s" % (self.table.name, other.table.name, err),
                           hint="SET multicorn.enable_join_pushdown = off, and report the query.")
        conn = self.conn
        conn.begin_scan()
        self._executed = True
        ctx = executor.ScanContext(conn.client, conn.accounts, _notice, conn.opts.version,
                                   check_account=conn.check_account, noticed=self._noticed,
                                   expansion=conn.opts.field_expansion != "off")
        return self._naming_scope(conn.counting(lambda: joins.rows(plan, ctx, executor.execute)), other.table)

    def explain_join(self, other, clauses, quals, other_quals, columns, other_columns, verbose=False):
        try:
            plan = joins.plan_join(self.table, other.table, clauses, quals, other_quals, columns, other_columns)
        except (joins.Declined, planner.MissingQual, planner.BadQualValue) as err:
            return ["Graph: %s" % err]
        lines = joins.explain(plan, describe_plan)
        if self._executed and self._conn is not None:
            lines.extend(self._conn.stats.explain_lines())
        return lines

    def end_scan(self):
        self._executed = False
        self._noticed.clear()
        self._procedure_call = None     # the statement is over: a new one may exchange again

    # ---- execution
    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        plan = planner.plan_scan(self.table, quals, columns, sortkeys, limit, offset)
        conn = self.conn
        conn.begin_scan()
        self._executed = True
        ctx = executor.ScanContext(conn.client, conn.accounts, _notice, conn.opts.version,
                                   procedures=self._procedures(conn), check_account=conn.check_account,
                                   noticed=self._noticed, expansion=conn.opts.field_expansion != "off")
        rows = self._naming_scope(conn.counting(lambda: executor.execute(plan, ctx)))
        return self._recent.wrap(rows) if self._recent is not None else rows

    def _naming_scope(self, rows, table=None):
        """Rows; a missing permission names this table's own scope (catalog), or `table`'s (a join's child,
        which needs the parent's scopes and its own)."""
        try:
            yield from rows
        except PermissionDenied as err:
            raise scopes.name_table_scope(err, table or self.table, self._login()) from None

    def _login(self):
        return getattr(getattr(self._conn, "opts", None), "login", "facebook")

    def _scope_error(self, err, operation=None):
        return scopes.name_table_scope(err, self.table, self._login(), operation)

    def _write(self, method, *args):
        try:
            return getattr(self._writer(), method)(*args)
        except PermissionDenied as err:
            raise self._scope_error(err, method) from None
        except Exception as err:   # writes.WriteError wrapping a denial: same SQLSTATE, our hint
            raise scopes.name_scope_in_hint(err, self.table, self._login(), method)

    # ---- writes (ig_fdw.writes: the Writer, and each writable table's handler; the catalog says what is settable)
    @property
    def rowid_column(self):
        if not self.table.writable:
            raise FdwError("table '%s' is read-only" % self.table.name, sqlstate="HV000",
                           hint="Writable tables: %s" % ", ".join(
                               t.name for t in catalog.TABLES.values() if t.writable))
        return "id"

    def _writer(self):
        from ig_fdw import writes
        if getattr(self, "_writer_obj", None) is None:
            self._writer_obj = writes.Writer(self.table, self.conn, _notice, self.fdw_options)
            self._writer_obj.recent = self._recent
        return self._writer_obj

    def insert(self, values):
        return self._write("insert", values)

    def update(self, rowid, newvalues):
        return self._write("update", rowid, newvalues)

    def delete(self, rowid):
        return self._write("delete", rowid)

    def end_modify(self):
        if getattr(self, "_writer_obj", None) is not None:
            self._write("end_statement")

    def pre_commit(self):
        if getattr(self, "_writer_obj", None) is not None:
            self._write("pre_commit")

    def rollback(self):
        self._noticed.clear()     # a failed statement ends without end_scan()
        if getattr(self, "_writer_obj", None) is not None:
            self._writer_obj.rollback()

    def sub_begin(self, level):
        if getattr(self, "_writer_obj", None) is not None:
            self._writer_obj.sub_begin(level)

    def sub_commit(self, level):
        if getattr(self, "_writer_obj", None) is not None:
            self._writer_obj.sub_commit(level)

    def sub_rollback(self, level):
        if getattr(self, "_writer_obj", None) is not None:
            self._writer_obj.sub_rollback(level)

    def _procedures(self, conn):
        """The procedure runner a scan gets: this statement's memo (codes are single-use, so a rescan
        must not exchange again) and the connection's tokens; the doctor's probe as one more procedure."""
        from ig_fdw import procedures
        if getattr(self, "_procedure_call", None) is None:
            self._procedure_call = procedures.ProcedureCall()
        probe = {server_check.PROBE_TABLE: lambda: [{"report": server_check.report(
            lambda: conn, _check_interrupts is not None)}]}
        return procedures.StatementProcedures(self._procedure_call, conn, extra=probe)

    @classmethod
    def validate_options(cls, level, options):
        """Called by the project's runtime at CREATE/ALTER time (upstream
        multicorn2 does not: there the same checks run on first use)."""
        from ig_fdw import options as opts_mod
        if level == "column":
            if options:
                raise FdwError("ig_fdw columns take no options (got %s)" % ", ".join(sorted(options)),
                               sqlstate="HV00D")
            return
        extra = {"server": ("wrapper",), "table": connection.CORE_TABLE_OPTIONS}.get(level, ())
        opts_mod.validate(level, options, extra_keys=extra)     # WriteMode too: an entry of the option table
        if level == "table" and "table" in options and catalog.get(options["table"]) is None and \
                options["table"] != server_check.PROBE_TABLE:
            raise FdwError("table '%s' is not an ig_fdw table" % options["table"], sqlstate="HV00D",
                           hint="Known tables: %s" % ", ".join(catalog.names()))

    @classmethod
    def import_schema(cls, schema, srv_options, options, restriction_type, restricts):
        if schema.lower() not in ("instagram", "public", ""):
            raise FdwError("ig_fdw has one remote schema, 'instagram' (not '%s')" % schema,
                           hint="IMPORT FOREIGN SCHEMA instagram FROM SERVER ... INTO ...", sqlstate="HV00Q")
        return [table_definition(t) for t in catalog.TABLES.values()]


def table_definition(table):
    columns = [ColumnDefinition(c.name, type_name=c.type) for c in table.columns]
    return TableDefinition(table.name, columns=columns, options={"table": table.name})


def _fan_out_chain(plan):
    """The fan-out chain, nearest parent first (replies: comments of media)."""
    names = []
    sub = plan.parents_plan
    while sub is not None:
        names.append(sub.table.name)
        sub = sub.parents_plan
    return " of ".join(names)


def _how_many(given, noun):
    """'120 ids', or for values a join or subquery hands over at execution
    (unbound while planning) '120 ids given at execution' / 'the ids given at
    execution' when not even their number is known."""
    unbound = sum(1 for v in given if v is UNBOUND)
    plural = noun if noun.endswith("s") or noun == "media" else noun + "s"
    if unbound == len(given) == 1:
        return "the %s given at execution" % plural
    if unbound:
        return "%d %s given at execution" % (len(given), plural if len(given) != 1 else noun)
    return "%d %s" % (len(given), plural if len(given) != 1 else noun)


def describe_plan(plan):
    """EXPLAIN lines: endpoint, fields, pushed filters, expected calls."""
    src = plan.table.source
    lines = []
    if plan.empty:
        return ["Graph: no request (the filters cannot match)"]
    if plan.mode == "ids":
        n = len(plan.ids)
        lines.append("Graph: GET ?ids=<%s> (%d call%s, 50 ids each)" % (
            _how_many(plan.ids, "id"), -(-n // 50), "" if n <= 50 else "s"))
    elif plan.mode == "node":
        lines.append("Graph: GET ?ids=<accounts> (one call per 50 accounts)")
    elif plan.mode == "me":
        lines.append("Graph: GET /me/%s (paged)" % src.edge)
    elif plan.mode == "edge":
        if src.parent == "account":
            lines.append("Graph: GET /{business_account_id}/%s (paged)" % src.edge)
            if plan.limit is None and src.edge in windows.COUNTED_EDGES:
                lines.append("Graph: read in full: the first page with %s, the rest in since/until windows "
                             "side by side (MaxConcurrency > 1)" % windows.COUNTED_EDGES[src.edge])
        elif plan.parents is not None:
            n = len(plan.parents)
            lines.append("Graph: GET /{%s}/%s for %s (batched: %d call%s, then paging)" % (
                src.parent, src.edge, _how_many(plan.parents, src.parent), -(-n // 50), "" if n <= 50 else "s"))
        else:
            lines.append("Graph: GET /{%s}/%s for every row of %s (fan-out, 50 per batch call)" % (
                src.parent, src.edge, _fan_out_chain(plan)))
    elif plan.mode == "insights":
        spec = src.insights
        if spec.target == "media":
            who = _how_many(plan.parents, "media") if plan.parents is not None else \
                "every media of %s (fan-out)" % _fan_out_chain(plan)
            lines.append("Graph: GET /{media_id}/insights for %s (batched, 50 per call)" % who)
        else:
            lines.append("Graph: GET /{%s}/insights" % ("object_id" if plan.parents else "business_account_id"))
    elif plan.mode == "expansion":
        lines.append("Graph: GET /{business_account_id}?fields=%s(...)" % src.expansion)
    elif plan.mode == "search":
        lines.append("Graph: GET /%s per value" % src.edge)
    elif plan.mode == "procedure":
        lines.append("OAuth procedure %s" % src.procedure)
    if plan.expand:
        what = "insights.metric(...)" if plan.mode == "insights" else \
            "%s.limit(<Pagesize>){%s}" % (src.edge, ",".join(plan.fields or ["id"]))
        lines.append("Graph: %s expanded on the pages of %s when the rows allow it (FieldExpansion)"
                     % (what, plan.parents_plan.table.name))
    if plan.fields:
        lines.append("Graph fields: %s" % ",".join(plan.fields))
    pushed = []
    for name, f in sorted(plan.filters.items()):
        if f.values is not None:
            pushed.append("%s IN (%d value%s)" % (name, len(f.values), "" if len(f.values) == 1 else "s")
                          if len(f.values) != 1 else "%s = %s" % (name, f.values[0]))
        if f.lower:
            pushed.append("%s %s %s" % (name, ">=" if f.lower[1] else ">", f.lower[0]))
        if f.upper:
            pushed.append("%s %s %s" % (name, "<=" if f.upper[1] else "<", f.upper[0]))
    if pushed:
        lines.append("Graph filters: %s" % ", ".join(pushed))
    params = {k: v for k, v in plan.params.items()}
    if params:
        lines.append("Graph parameters: %s" % ", ".join("%s=%s" % kv for kv in sorted(params.items())))
    if plan.limit is not None:
        lines.append("Graph: stops after %d rows" % plan.limit)
    return lines
