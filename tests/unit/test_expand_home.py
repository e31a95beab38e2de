"""A path whose home directory does not exist (``~0``) is refused by name everywhere, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.errors import SpecError, UsageError
from deploy.spec.paths import expand_home

NO_SUCH_HOME = ["~0", "~0/tokenizer.json", "~no-such-user-lmi-test/m"]


@pytest.mark.parametrize("value", NO_SUCH_HOME)
def test_an_unknown_home_stays_as_written(value: str) -> None:
    assert expand_home(value) == Path(value)


def test_the_home_is_expanded_when_known(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert expand_home("~/models/qwen") == tmp_path / "models" / "qwen"


@pytest.mark.parametrize("value", NO_SUCH_HOME)
def test_bench_tokenizer_with_an_unknown_home_is_a_usage_error(value: str) -> None:
    pytest.importorskip("tokenizers")
    from deploy.bench.tokens import load_counter

    with pytest.raises(UsageError):
        load_counter(value)


@pytest.mark.parametrize("value", NO_SUCH_HOME)
def test_sizing_a_model_under_an_unknown_home_is_a_spec_error(value: str) -> None:
    from deploy.sizing import load_shape

    with pytest.raises(SpecError):
        load_shape(value)
