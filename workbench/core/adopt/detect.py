"""Reading an existing agent repository without running it: framework, entry candidates, tools.

Everything comes from the source's syntax tree (``ast``), so nothing of the user's code
is imported or executed by ``workbench init``.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.runner.adapter import PARAMETER_NAMES

# Import prefix -> framework name, most specific first (a LangGraph agent imports openai too).
FRAMEWORKS = (
    ("langgraph", "langgraph"),
    ("agents", "openai-agents"),
    ("pydantic_ai", "pydantic-ai"),
    ("litellm", "litellm"),
    ("openai", "openai"),
)
SKIPPED_DIRS = {"tests", "test", "node_modules", "build", "dist", "site-packages", "venv"}
# Names people give the function that answers a message, best first.
ENTRY_NAMES = ("run_turn", "answer", "chat", "respond", "reply", "ask", "run", "invoke", "handle")
MAX_FILES = 2000
_MESSAGE = set(PARAMETER_NAMES["message"])
_KNOWN = {name for names in PARAMETER_NAMES.values() for name in names}


@dataclass(frozen=True)
class EntryCandidate:
    """A top-level function that could serve turns under the adapter contract."""

    entry: str  # module:function
    parameters: tuple[str, ...]
    reaches_model: bool  # takes base_url/api_base, so runs can point it at the mock
    score: int


@dataclass
class Detection:
    """What ``workbench init`` learned from a repository."""

    root: Path
    name: str
    src: str
    frameworks: list[str] = field(default_factory=list)
    candidates: list[EntryCandidate] = field(default_factory=list)
    tools: dict[str, list[str]] = field(default_factory=dict)  # name -> required arguments
    files: int = 0

    @property
    def framework(self) -> str | None:
        """The most specific framework found, or None."""
        return self.frameworks[0] if self.frameworks else None


def python_files(root: Path) -> list[Path]:
    """The repository's own Python files: no hidden folders, environments or tests."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts[:-1]
        if any(p.startswith(".") or p in SKIPPED_DIRS or p.endswith("env") for p in parts):
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        found.append(path)
        if len(found) >= MAX_FILES:
            break
    return found


def _project_name(root: Path) -> str:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        name = data.get("project", {}).get("name")
    except (OSError, ValueError):
        name = None
    return str(name or root.resolve().name)


def _module_name(root: Path, path: Path, src: str) -> str:
    relative = path.relative_to(root / src) if src != "." else path.relative_to(root)
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _frameworks(imports: set[str]) -> list[str]:
    found = []
    for prefix, framework in FRAMEWORKS:
        if any(name == prefix or name.startswith(prefix + ".") for name in imports):
            found.append(framework)
    return found


def _candidate(module: str, node: ast.FunctionDef | ast.AsyncFunctionDef, framework: bool):
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    if not names or node.name.startswith("_"):
        return None
    whole = len(names) == 1 and names[0] in ("request", "turn")
    if not whole and not (_MESSAGE & set(names)):
        return None
    required = len(args.posonlyargs) + len(args.args) - len(args.defaults)
    required_names = set(names[:required]) | {
        a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
    }
    if not whole and required_names - _KNOWN:
        return None
    reaches = whole or bool({"base_url", "api_base"} & set(names))
    score = (
        4 * reaches
        + 2 * framework
        + (len(ENTRY_NAMES) - ENTRY_NAMES.index(node.name) if node.name in ENTRY_NAMES else 0)
    )
    return EntryCandidate(f"{module}:{node.name}", tuple(names), reaches, score)


def _tools(tree: ast.Module) -> dict[str, list[str]]:
    """Tools declared as OpenAI function schemas (dict literals) in the file."""
    tools: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        entries = {
            k.value: v
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant)
        }
        function = entries.get("function")
        if entries.get("type") is None or not isinstance(function, ast.Dict):
            continue
        inner = {
            k.value: v
            for k, v in zip(function.keys, function.values, strict=True)
            if isinstance(k, ast.Constant)
        }
        name = inner.get("name")
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            tools[name.value] = _required(inner.get("parameters"))
    return tools


def _required(parameters: ast.expr | None) -> list[str]:
    if not isinstance(parameters, ast.Dict):
        return []
    for key, value in zip(parameters.keys, parameters.values, strict=True):
        if (
            isinstance(key, ast.Constant)
            and key.value == "required"
            and isinstance(value, ast.List)
        ):
            return [
                e.value
                for e in value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return []


def detect(root: Path) -> Detection:
    """Scan ``root``'s Python sources (never importing them) for what ``init`` needs."""
    src = "src" if (root / "src").is_dir() and any((root / "src").glob("*/__init__.py")) else "."
    detection = Detection(root=root, name=_project_name(root), src=src)
    frameworks: set[str] = set()
    candidates: list[EntryCandidate] = []
    for path in python_files(root / src if src != "." else root):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        detection.files += 1
        found = _frameworks(_imports(tree))
        frameworks.update(found)
        module = _module_name(root, path, src)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and module:
                candidate = _candidate(module, node, bool(found))
                if candidate is not None:
                    candidates.append(candidate)
        detection.tools.update(_tools(tree))
    detection.frameworks = [name for _, name in FRAMEWORKS if name in frameworks]
    detection.candidates = sorted(candidates, key=lambda c: (-c.score, c.entry))
    return detection
