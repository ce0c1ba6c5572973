"""The shape of the code, checked: which app may import which, no import cycle between files,
and no module grown past the size where it becomes a package (README, "Repository layout")."""

import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("khuyencong", "provinces", "programs", "applications", "reports")
# Who may import whom. The kernel (khuyencong) imports no app; the project wiring (settings,
# root URLconf) names apps only by dotted strings.
ALLOWED = {
    "khuyencong": set(),
    "provinces": {"khuyencong"},
    "programs": {"khuyencong", "provinces"},
    "applications": {"khuyencong", "provinces", "programs"},
    "reports": set(APPS),
}
MAX_LINES = 450  # "about 400": past it a module becomes a package split by sub-domain


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(modules) -> dict[str, set[str]]:
    """Every module each module imports (at any level: a function-level import is still an
    edge), resolved to the modules of the project."""

    def resolve(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = collections.defaultdict(set)
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parent = ".".join(parts[: len(parts) - node.level + 1])
                    base = f"{parent}.{base}" if node.module else parent
                names = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                target = resolve(name)
                if target and target != module:
                    graph[module].add(target)
    return graph


def test_apps_import_only_downwards():
    graph = _imports(_modules())
    wrong = sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets
                   if t.split(".")[0] != m.split(".")[0] and t.split(".")[0] not in ALLOWED[m.split(".")[0]])
    assert not wrong, wrong


def test_no_import_cycle_between_files():
    graph = _imports(_modules())
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in list(graph):
        if module not in index:
            visit(module)
    assert not cycles, cycles


def test_no_module_past_the_size_of_a_package():
    big = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not big, big
