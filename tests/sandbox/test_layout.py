"""The sandbox's module structure (ig_fdw/sandbox/README.md, "Layout").

Node types (nodes.py) reach handler code only through the provided-field
registry, never by importing a handler module; no module of the sandbox
imports another inside a function; the sandbox is self-contained (imports
nothing else of ig_fdw) and only the CLI of ig_fdw imports it, which is what
lets it live inside the installed package without the FDW depending on it.
"""

import ast
import os

import pytest

from ig_fdw.sandbox import nodes

SANDBOX = os.path.dirname(nodes.__file__)
PACKAGE = os.path.dirname(SANDBOX)


def _package_of(path):
    """Dotted package name of a file under ig_fdw/."""
    rel = os.path.relpath(os.path.dirname(os.path.abspath(path)), os.path.dirname(PACKAGE))
    return rel.replace(os.sep, ".")


def _imports(path):
    """(module imported, inside a function?) for every import in a file, with
    relative imports made absolute; ``from a import b`` yields a and a.b."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    package = _package_of(path).split(".")
    found = []

    def names_of(node):
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        base = package[:len(package) - node.level + 1] if node.level else []
        module = ".".join(base + ([node.module] if node.module else []))
        return ([module] if node.module else []) + [module + "." + a.name for a in node.names]

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.extend((n, in_function) for n in names_of(child))
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, inner)
    visit(tree, False)
    return found


def _sandbox_files():
    return sorted(f for f in os.listdir(SANDBOX) if f.endswith(".py"))


def test_nodes_imports_no_handler_module():
    imported = {name for name, _ in _imports(os.path.join(SANDBOX, "nodes.py"))}
    handlers = {n for n in imported if n.startswith("ig_fdw.sandbox.handlers")}
    assert handlers == set(), "nodes.py must reach handlers through @provides, not imports: %s" % handlers


@pytest.mark.parametrize("name", ["nodes.py", "routes.py", "app.py", "clock.py"]
                         + [f for f in os.listdir(SANDBOX) if f.startswith("handlers_")])
def test_no_function_level_imports_between_sandbox_modules(name):
    late = [n for n, in_function in _imports(os.path.join(SANDBOX, name))
            if in_function and n.startswith("ig_fdw.sandbox")]
    assert late == [], "%s imports sandbox modules inside functions: %s" % (name, late)


def test_sandbox_imports_nothing_else_of_ig_fdw():
    for f in _sandbox_files():
        outside = [n for n, _ in _imports(os.path.join(SANDBOX, f))
                   if n.startswith("ig_fdw") and not n.startswith("ig_fdw.sandbox")]
        assert outside == [], "sandbox/%s imports %s: the emulator must stay self-contained" % (f, outside)


def test_only_the_cli_imports_the_sandbox():
    users = set()
    for root, dirs, files in os.walk(PACKAGE):
        if os.path.abspath(root).startswith(os.path.abspath(SANDBOX)):
            continue
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(root, f)
                if any(n.startswith("ig_fdw.sandbox") for n, _ in _imports(path)):
                    users.add(os.path.relpath(path, PACKAGE))
    assert users == {"cli.py"}, users


def test_every_provided_field_has_a_handler():
    # importing ig_fdw.sandbox loads routes.py, which loads every handler
    assert set(nodes._WANTED) == {"business_discovery", "media_insights"}
    assert set(nodes._WANTED) <= set(nodes._PROVIDERS)
    nodes.check_provided()


def test_a_missing_provider_fails_at_check(monkeypatch):
    monkeypatch.setattr(nodes, "_WANTED", nodes._WANTED | {"no_such_field"})
    with pytest.raises(RuntimeError, match="no handler provides no_such_field"):
        nodes.check_provided()


def test_a_name_cannot_be_provided_twice():
    def other(ctx, obj, spec):
        return None
    with pytest.raises(RuntimeError, match="two handlers provide 'business_discovery'"):
        nodes.provides("business_discovery")(other)
    assert nodes._PROVIDERS["business_discovery"] is not other
