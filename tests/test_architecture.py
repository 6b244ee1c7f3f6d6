"""The seams of the package that the import contracts (.importlinter) cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "webinar_app"


def _inner_import_groups(tree: ast.Module) -> list[list[ast.stmt]]:
    """Runs of consecutive import statements inside functions (not module level)."""
    found = [
        node for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    groups: list[list[ast.stmt]] = []
    for node in sorted(set(found), key=lambda n: n.lineno):
        if groups and node.lineno == groups[-1][-1].end_lineno + 1:
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups


def test_every_import_inside_a_function_says_why():
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        for group in _inner_import_groups(ast.parse("\n".join(lines))):
            first, last = group[0].lineno, group[-1].end_lineno
            around = lines[max(first - 2, 0):last]
            if not any("# reason:" in line for line in around):
                unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{first}")
    assert unexplained == [], "an import inside a function needs a '# reason:' comment"


def test_every_features_forms_module_is_protected_by_an_import_contract():
    """A new feature's forms.py gets its 'only this feature imports it' contract too."""
    contracts = (PACKAGE.parent / ".importlinter").read_text()
    unprotected = [
        path.parent.name for path in sorted(PACKAGE.glob("*/forms.py"))
        if path.parent.name != "core"
        and f"protected_modules =\n    webinar_app.{path.parent.name}.forms\n" not in contracts
    ]
    assert unprotected == []
