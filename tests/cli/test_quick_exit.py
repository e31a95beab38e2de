"""The fast path's quick exit (deploy/cli/quick_exit.py) changes how the process ends, never what it says.

A real `python -m deploy.cli` process (armed: `deploy.cli.run` is the process's entry point) must give the same
exit code, stdout and stderr as `main([...])` inside this process (never armed), for good and bad specs in every
output form; exit handlers registered by the command and non-daemon threads it started still finish; a program
calling `main()` in its own process keeps its own exit code; a closed stdout pipe ends quietly with 1, as typer
commands do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.cli import main

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecutionRole"
SPECS = {
    "example": (ROOT / "examples" / "qwen25-7b.yaml").read_text(),
    "bad-field": f"name: ep\nrole: {ROLE}\nmodel: {{id: org/m}}\nengine: {{max_model_len: -3}}\n",
    "not-yaml": "name: [unclosed\n",
    "does-not-fit": f"name: ep\nrole: {ROLE}\nmodel: {{id: meta-llama/Llama-3.1-70B-Instruct}}\n"
    "instance: {type: ml.g5.xlarge}\n",
}
FORMS = [["validate"], ["validate", "--json"], ["render"], ["render", "--json"]]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LMI_"))}
    return {**env, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "100"}


def _process(args: list[str], stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args],
        stdout=stdout, stderr=subprocess.PIPE, text=True, env=_env(), timeout=120,
    )  # fmt: skip


def _script(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=_env(), timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize("form", FORMS, ids=" ".join)
@pytest.mark.parametrize("key", SPECS)
def test_a_quick_exit_says_what_a_normal_exit_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, key: str, form: list[str]
) -> None:
    spec = tmp_path / f"{key}.yaml"
    spec.write_text(SPECS[key])
    args = [form[0], str(spec), *form[1:]]
    for name, value in _env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    armed = _process(args)
    assert (armed.returncode, armed.stdout, armed.stderr) == (int(info.value.code or 0), out, err)
    assert armed.stdout or armed.stderr  # every case prints something


def test_exit_handlers_and_threads_the_command_starts_still_finish(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    code = f"""
import atexit, sys, threading, time
from pathlib import Path
import deploy.cli.offline as offline
marks = Path({str(marks)!r})
original = offline.validate
def validate(*args):
    atexit.register(lambda: marks.open("a").write("exit handler\\n"))
    def late():
        time.sleep(0.3)
        marks.open("a").write("thread\\n")
    threading.Thread(target=late).start()
    return original(*args)
offline.validate = validate
sys.argv = ["lmi", "validate", "examples/qwen25-7b.yaml"]
from deploy.cli import run
run()
"""
    done = _script(code)
    assert done.returncode == 0, done.stderr
    assert "fits:" in done.stdout
    assert marks.read_text().splitlines() == ["thread", "exit handler"]  # threads are joined before exit handlers


@pytest.mark.parametrize("call", ["main(['validate', SPEC])", "main()"])
@pytest.mark.parametrize(("spec", "caller_code"), [("examples/qwen25-7b.yaml", 7), ("missing.yaml", 0), ("x", 3)])
def test_a_caller_running_main_in_its_own_process_keeps_its_exit_code(spec: str, caller_code: int, call: str) -> None:
    # only deploy.cli.run (the console script, python -m deploy.cli) is the process's entry point; main() never is
    code = f"""
import sys
from deploy.cli import main
SPEC = {spec!r}
sys.argv = ["wrapper", "validate", SPEC]
try:
    {call}
except SystemExit as exc:
    print("lmi said", exc.code)
print("after lmi")
sys.exit({caller_code})
"""
    done = _script(code)
    assert done.returncode == caller_code
    assert done.stdout.splitlines()[-1] == "after lmi"


@pytest.mark.parametrize("args", [["render"], ["render", "--json"], ["validate"], ["validate", "--json"]], ids=" ".join)
def test_a_closed_stdout_pipe_ends_quietly_with_1_like_the_typer_commands(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        fast = _process([args[0], str(ROOT / "examples" / "qwen25-7b.yaml"), *args[1:]], stdout=write_end)
        typer = _process(["catalog", "instances"], stdout=write_end)
    finally:
        os.close(write_end)
    assert (fast.returncode, fast.stderr) == (1, "")
    assert (typer.returncode, typer.stderr) == (1, "")


def test_a_broken_pipe_that_is_not_stdout_is_not_hidden() -> None:
    code = """
import sys
import deploy.cli.offline as offline
def validate(*args):
    raise BrokenPipeError(32, "a socket, not stdout")
offline.validate = validate
sys.argv = ["lmi", "validate", "examples/qwen25-7b.yaml"]
from deploy.cli import run
run()
"""
    done = _script(code)
    assert done.returncode == 1
    assert "a socket, not stdout" in done.stderr


# Whether the quick exit happened: an object still alive at the end is finalised only by the normal teardown.
_TEARDOWN_MARK = """
class _Mark:
    def __del__(self, _open=open):  # builtins may be gone by then: keep a reference
        _open({mark!r}, "a").write("teardown\\n")
_mark = _Mark()
"""


@pytest.mark.parametrize("handlers", [1, 3])
@pytest.mark.parametrize(("spec", "expected"), [("examples/qwen25-7b.yaml", 0), ("missing.yaml", 2)])
@pytest.mark.parametrize("command", ["validate", "render"])
def test_exit_handlers_registered_before_the_entry_point_still_run(
    tmp_path: Path, handlers: int, spec: str, expected: int, command: str
) -> None:
    # coverage run saves its data in such a handler; a quick exit would run before it, that is instead of it
    marks = tmp_path / "marks"
    register = "".join(
        f"atexit.register(lambda: open({str(marks)!r}, 'a').write('saved {n}\\n'))\n" for n in range(handlers)
    )
    code = f"import atexit, sys\n{register}sys.argv = ['lmi', {command!r}, {spec!r}]\n"
    code += "from deploy.cli import run\nrun()\n"
    done = _script(code)
    assert done.returncode == expected, done.stderr
    assert sorted(marks.read_text().splitlines()) == [f"saved {n}" for n in range(handlers)]


@pytest.mark.parametrize("closed", ["2>&-", "<&- 2>&-"])
@pytest.mark.parametrize("spec", ["examples/qwen25-7b.yaml", "examples/components.yaml"])
def test_a_closed_stderr_still_ends_quickly_with_the_output(tmp_path: Path, closed: str, spec: str) -> None:
    mark = tmp_path / "mark"
    code = _TEARDOWN_MARK.format(mark=str(mark)) + f"import sys\nsys.argv = ['lmi', 'validate', {spec!r}]\n"
    code += "from deploy.cli import run\nrun()\n"
    done = subprocess.run(
        ["sh", "-c", f'exec "$0" -c "$1" {closed}', sys.executable, code],
        capture_output=True, text=True, env=_env(), timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0 and "fits" in done.stdout
    assert not mark.exists(), "the normal teardown ran: the quick exit gave up on sys.stderr being None"


def test_the_teardown_mark_sees_a_normal_exit(tmp_path: Path) -> None:
    # the check above can fail: without the quick exit (main([...]) is never armed) the mark is written
    mark = tmp_path / "mark"
    code = _TEARDOWN_MARK.format(mark=str(mark))
    code += "from deploy.cli import main\nmain(['validate', 'examples/qwen25-7b.yaml'])\n"
    assert _script(code).returncode == 0
    assert mark.read_text() == "teardown\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["validate", "examples/qwen25-7b.yaml"], 0),
        (["render", "examples/qwen25-7b.yaml", "--json"], 0),
        (["validate", "missing.yaml"], 2),
        (["catalog", "instances"], 0),
    ],
    ids=["validate", "render --json", "validate missing", "catalog"],
)
def test_stdout_closed_at_start_drops_the_output_and_keeps_the_exit_code(args: list[str], expected: int) -> None:
    # `lmi validate spec >&-`: sys.stdout is None; the exit code still says whether the spec is valid
    done = subprocess.run(
        ["sh", "-c", 'exec "$0" -m deploy.cli "$@" >&-', sys.executable, *args],
        capture_output=True, text=True, env=_env(), timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == expected, done.stderr
    assert "Traceback" not in done.stderr
    assert ("does not exist" in done.stderr) == (expected == 2)
