"""``model.revision`` (and ``lmi size --revision``) accept only what can be a git revision.

Classes tried: whitespace of every kind, invisible format marks, the characters git refuses, ``..`` and ``@{``,
leading ``-`` and ``/``, empty segments, trailing ``.``/``.lock``/``/``, a length over 255. Every value the Hub
serves (branches with slashes, tags with dots, shas, ``refs/pr/N``) still passes. When git is installed, every value
accepted here is also accepted by ``git check-ref-format`` (an independent judge).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy.spec.loader import parse_spec
from deploy.spec.revisions import REVISION_MAX, revision_problem
from tests.unit.spec_helpers import base, error_of

NOT_REVISIONS = [
    "a b",
    " main",
    "main ",
    "main\u00a0x",  # no-break space
    "main\u3000x",  # ideographic space
    "ma\u200bin",  # zero-width space: looks like main
    "main\u202ex",  # right-to-left override
    "a~1",
    "main^",
    "HEAD:path",
    "what?",
    "v*",
    "[x]",
    "a\\b",
    "main..dev",
    "..",
    "-x",
    "--upload-pack=evil",
    "/main",
    "main/",
    "a//b",
    "main.",
    "x.lock",
    "feature/x.lock/y",
    ".hidden",
    "a/.b",
    "@",
    "main@{1}",
    "",
    "a" * (REVISION_MAX + 1),
]
REVISIONS = [
    "main",
    "v1.0",
    "v2.0.0-rc.1",
    "refs/pr/1",
    "feature/long-context_v2",
    "0123456789abcdef0123456789abcdef01234567",
    "abc1234",
    "release@2025",
    "x.locked",
    "a" * REVISION_MAX,
]


@pytest.mark.parametrize("revision", NOT_REVISIONS)
def test_a_value_no_git_ref_can_hold_is_refused_naming_field_value_and_fix(revision: str) -> None:
    err = error_of(base(model={"id": "org/m", "revision": revision}))
    assert err.field == "model.revision"
    assert err.value == revision
    assert err.exit_code == 2
    assert err.fix and "branch, tag or full commit sha" in err.fix
    assert "not a git revision" in err.message


@pytest.mark.parametrize("revision", REVISIONS)
def test_every_branch_tag_and_sha_shape_the_hub_serves_still_passes(revision: str) -> None:
    assert parse_spec(base(model={"id": "org/m", "revision": revision})).model.revision == revision


def test_git_itself_refuses_the_refused_values() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    # Ours alone: the empty value, the over-long one (git has no cap) and the Unicode spaces and format marks, which
    # git allows but which make a revision that looks like another one.
    for revision in (r for r in NOT_REVISIONS[:-2] if r.isascii()):
        assert not _git_accepts(revision), revision


def _git_accepts(revision: str) -> bool:
    done = subprocess.run(["git", "check-ref-format", "--allow-onelevel", revision], capture_output=True, check=False)
    return done.returncode == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("ab1./-_@{}~^:?*[\\ \u00e9\u200b"), min_size=1, max_size=12))
def test_what_is_accepted_here_git_accepts_too(revision: str) -> None:
    if shutil.which("git") is None or revision_problem(revision) is not None:
        return
    assert _git_accepts(revision), revision
