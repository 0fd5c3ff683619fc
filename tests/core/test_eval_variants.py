"""Variants from workbench.toml and ad hoc from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.config import parse_config
from workbench.core.evals.variants import parse_variant, select_variants
from workbench.errors import WorkbenchError

CONFIG = parse_config(
    """
[project]
name = "demo"
package = "demo"
[agent]
entry = "demo.agent:run_turn"
[variants.baseline]
prompt = "v1"
[variants.candidate]
prompt = "v2"
model = "openai/gpt-4o-mini"
params = {temperature = 0.2}
""",
    Path("workbench.toml"),
)


def test_ad_hoc_variants_parse_name_prompt_model_and_params():
    variant = parse_variant(
        "fast=prompt@v2,model=openai/gpt-4o-mini,temperature=0.3,max_tokens=200"
    )
    assert variant.name == "fast" and variant.prompt == "v2"
    assert variant.model == "openai/gpt-4o-mini" and variant.source == "real"
    assert variant.params == {"temperature": 0.3, "max_tokens": 200}
    named = parse_variant("name=cand,prompt=v3,model=mock")
    assert (named.name, named.prompt, named.model, named.source) == ("cand", "v3", "mock", "mock")
    with pytest.raises(WorkbenchError, match="expected NAME=prompt@VERSION"):
        parse_variant("oops")
    with pytest.raises(WorkbenchError, match="is not key=value"):
        parse_variant("x=prompt@v1,junk")


def test_selection_declared_ad_hoc_and_defaults():
    assert [v.name for v in select_variants(CONFIG)] == ["baseline", "candidate"]
    chosen = select_variants(CONFIG, ["candidate"], ["quick=prompt@v2,model=mock"])
    assert [v.name for v in chosen] == ["candidate", "quick"]
    assert chosen[0].params == {"temperature": 0.2}
    assert [v.name for v in select_variants(CONFIG, None, None, ["candidate"])] == ["candidate"]
    with pytest.raises(WorkbenchError, match="unknown variant 'nope'"):
        select_variants(CONFIG, ["nope"])
    # An ad hoc variant with a declared name replaces the declared one.
    (override,) = select_variants(CONFIG, ["baseline"], ["baseline=prompt@v9"])
    assert override.prompt == "v9"
    with pytest.raises(WorkbenchError, match="named twice"):
        select_variants(CONFIG, None, ["x=prompt@v1", "x=prompt@v2"])
