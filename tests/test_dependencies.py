"""Every third-party package the code imports is declared, not merely installed by another one.

The workbench (``workbench/``) against ``[project] dependencies``; its tests against those plus
the ``dev`` extra; the agent-service template's code and tests against the dependency lists of
its ``pyproject.toml.jinja`` (read as text, so no render is needed). An import that only works
because some other package happens to pull its distribution in breaks when that package
changes its own dependencies, which is how jinja2, markdown-it-py, starlette, protobuf and
pathspec once went missing.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "templates" / "agent-service" / "template"
# In the template's *.py.jinja files, a Jinja expression stands in for a name or a string.
_JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}")
_JINJA_TAG = re.compile(r"\{%.*?%\}")
_PLACEHOLDER = "jinja_placeholder"


def _python_files(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        python = path.suffix == ".py" or path.name.endswith(".py.jinja")
        if python and "__pycache__" not in path.parts:
            yield path


def _source(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(".jinja"):
        text = _JINJA_TAG.sub("", _JINJA_EXPRESSION.sub(_PLACEHOLDER, text))
    return text


def imported_modules(root: Path) -> dict[str, list[str]]:
    """Absolute imports under ``root``: dotted module name -> where (``path:line``)."""
    found: dict[str, list[str]] = {}
    for path in _python_files(root):
        tree = ast.parse(_source(path), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
            where = f"{shown}:{node.lineno}"
            for name in names:
                found.setdefault(name, []).append(where)
    return found


def third_party(modules: dict[str, list[str]], own: set[str]) -> dict[str, list[str]]:
    """The modules that are neither the standard library nor the code's own packages."""
    return {
        name: places
        for name, places in modules.items()
        if (top := name.split(".")[0]) not in sys.stdlib_module_names and top not in own
    }


@cache
def _packages_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distribution_of(module: str) -> str | None:
    """The installed distribution that provides ``module`` (canonical name), or None.

    A namespace package such as ``google`` is shared by several distributions
    (protobuf, googleapis-common-protos, …): those are told apart by where the module's
    files are.
    """
    candidates = sorted(set(_packages_distributions().get(module.split(".")[0], [])))
    if len(candidates) <= 1:
        return canonicalize_name(candidates[0]) if candidates else None
    spec = importlib.util.find_spec(module)
    if spec is None:
        return None
    locations = [Path(spec.origin)] if spec.origin else []
    locations += [Path(p) for p in spec.submodule_search_locations or ()]
    for name in candidates:
        distribution = importlib.metadata.distribution(name)
        files = [Path(str(distribution.locate_file(f))) for f in distribution.files or []]
        if any(file.is_relative_to(place) for place in locations for file in files):
            return canonicalize_name(name)
    return None


def declared(requirements: Iterable[str]) -> set[str]:
    """Canonical distribution names of PEP 508 requirement strings."""
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def undeclared(modules: dict[str, list[str]], allowed: set[str]) -> list[str]:
    """One line per imported module whose distribution is not in ``allowed``."""
    problems = []
    for module, places in sorted(modules.items()):
        distribution = distribution_of(module)
        if distribution is None:
            problems.append(f"{places[0]}: imports {module}, which no installed package provides")
        elif distribution not in allowed:
            problems.append(f"{places[0]}: imports {module} from {distribution}, not declared")
    return problems


def workbench_requirements() -> tuple[set[str], set[str]]:
    """(``[project] dependencies``, the ``dev`` extra) of the workbench's pyproject.toml."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return declared(project["dependencies"]), declared(project["optional-dependencies"]["dev"])


def template_requirements() -> tuple[set[str], set[str]]:
    """(dependencies, the ``dev`` extra) listed in the template's pyproject.toml.jinja.

    The two lists are cut out of the Jinja text and parsed as TOML on their own, so the
    template need not be rendered; a Jinja tag inside a list would make this fail loudly.
    """
    text = (TEMPLATE / "pyproject.toml.jinja").read_text()
    lists = {}
    for key in ("dependencies", "dev"):
        match = re.search(rf"^{key} = \[.*?\]", text, flags=re.M | re.S)
        assert match, f"pyproject.toml.jinja has no `{key} = [...]` list"
        assert "{" not in match.group(0), f"pyproject.toml.jinja: Jinja inside `{key}`"
        lists[key] = tomllib.loads(match.group(0))[key]
    return declared(lists["dependencies"]), declared(lists["dev"])


def test_the_workbench_declares_what_it_imports():
    runtime, _dev = workbench_requirements()
    modules = third_party(imported_modules(REPO_ROOT / "workbench"), own={"workbench"})
    assert undeclared(modules, runtime) == []


def test_the_tests_declare_what_they_import():
    runtime, dev = workbench_requirements()
    # tools: the repository's scripts; support_agent: the example project's package
    # (imported from projects/ by a test).
    own = {"tests", "workbench", "tools", "support_agent"}
    modules = third_party(imported_modules(REPO_ROOT / "tests"), own=own)
    # The agents `workbench init` adopts in tests are projects of their own (next test).
    modules = {
        name: places
        for name, places in modules.items()
        if not all(place.startswith(f"{AGENT_FIXTURES}/") for place in places)
    }
    assert undeclared(modules, runtime | dev) == []


AGENT_FIXTURES = "tests/fixtures/agents"


@pytest.mark.parametrize(
    "agent", sorted(p.name for p in (REPO_ROOT / AGENT_FIXTURES).iterdir() if p.is_dir())
)
def test_each_fixture_agent_declares_what_it_imports(agent):
    folder = REPO_ROOT / AGENT_FIXTURES / agent
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    own = {path.parent.name for path in folder.glob("*/__init__.py")}
    modules = third_party(imported_modules(folder), own=own)
    if any(distribution_of(module) is None for module in modules):
        pytest.skip(f"{agent}: its dependencies are not installed here")
    assert undeclared(modules, declared(project["dependencies"])) == []


def test_the_template_declares_what_its_code_imports():
    runtime, _dev = template_requirements()
    src = TEMPLATE / "src"
    modules = third_party(imported_modules(src), own={_PLACEHOLDER})
    assert modules, "found no imports in the template's src/"
    assert undeclared(modules, runtime) == []


def test_the_template_declares_what_its_tests_import():
    runtime, dev = template_requirements()
    modules = third_party(imported_modules(TEMPLATE / "tests"), own={_PLACEHOLDER, "tests"})
    assert undeclared(modules, runtime | dev) == []


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("yaml", "pyyaml"),
        ("google.protobuf", "protobuf"),
        ("google.rpc", "googleapis-common-protos"),
        ("markdown_it", "markdown-it-py"),
    ],
)
def test_modules_map_to_the_distribution_that_ships_them(module, distribution):
    assert distribution_of(module) == distribution


def test_an_undeclared_import_is_reported_with_its_place(tmp_path):
    """The check itself can fail: an import of an undeclared or missing package is named."""
    (tmp_path / "code.py").write_text("import os\nimport click\nfrom jinja2 import Template\n")
    (tmp_path / "more.py").write_text("from . import sibling\nimport no_such_module_xyz\n")
    modules = third_party(imported_modules(tmp_path), own=set())
    assert sorted(modules) == ["click", "jinja2", "no_such_module_xyz"]
    problems = undeclared(modules, {"click"})
    assert len(problems) == 2
    assert problems[0].endswith("code.py:3: imports jinja2 from jinja2, not declared")
    assert problems[1].endswith(
        "more.py:2: imports no_such_module_xyz, which no installed package provides"
    )
