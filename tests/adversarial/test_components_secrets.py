"""A component's ``hf_token: env:NAME`` that cannot be used: the error names that component's field.

Found: with two components and ``$HF_TOKEN`` unset, ``lmi plan`` said "model.hf_token refers to $HF_TOKEN, which
is not set", a field no component spec has; now it is ``components.<i>.model.hf_token``. The value of a token that
is set but unusable (whitespace in it) is never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from tests.unit.component_plan_helpers import document
except ImportError:  # rootdir not on sys.path: the test directory is
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from component_plan_helpers import document  # type: ignore[no-redef]

from deploy import client
from deploy.errors import SpecError
from deploy.local.testing import lmi_emulator

__all__ = ["lmi_emulator"]
PLANTED = "hf_PlantedTokenValue0123456789abcdef"


def tokened(index: int, variable: str) -> dict[str, Any]:
    data = document()
    data["components"][index]["model"]["hf_token"] = f"env:{variable}"
    return data


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize(("value", "state"), [(None, "is not set"), ("", "is empty"), (f"{PLANTED}\n", "whitespace")])
def test_an_unusable_component_token_names_its_component(
    lmi_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: int, value: str | None, state: str
) -> None:
    variable = "LMI_ADVERSARY_TOKEN"
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(tokened(index, variable)))
    with pytest.raises(SpecError) as raised:
        client.plan(path, context=lmi_emulator.context())
    error = raised.value
    assert error.field == f"components.{index}.model.hf_token" and error.exit_code == 2
    assert state in error.message and PLANTED not in str(error.to_dict())
