"""How big is ``pip install lmi-deploy``, with each extra? Builds fresh venvs, installs the checkout, measures.

Prints the installed size (site-packages, and the whole venv), the number of distributions installed (lmi-deploy
included, as ``pip list`` shows them; the venv's own pip/setuptools apart), the largest ones, whether the install
works (``lmi validate`` on the example spec; with the emulator, a started emulator serving a streamed request: a
lean extra that cannot run the emulator would be no saving), whether any of moto[server]'s extra packages
(cfn-lint, sympy, docker, ...) came along, and a summary of what each extra adds over the core install. Targets
(issue 15) for [local]: <= 150 MB and <= 40 packages.

    python benchmarks/local_install_size.py [--extra local] [--extra hub] [--extra core] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import REPO_ROOT, machine_line

SMOKE = """
import json, os
for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(k, "testing")
from deploy.local import Emulator
from deploy.local.helpers import deploy
with Emulator(time_scale=0, latency="off") as emu:
    ctx = emu.context()
    deploy(ctx, "smoke")
    body = json.dumps({"inputs": "hi", "parameters": {"max_new_tokens": 4}, "stream": True})
    parts = ctx.client("sagemaker-runtime").invoke_endpoint_with_response_stream(EndpointName="smoke", Body=body)
    print(sum(1 for _ in parts["Body"]))
"""


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def _distributions(site: Path) -> dict[str, float]:
    """Distribution name -> MB of the files its RECORD lists."""
    sizes = {}
    for info in site.glob("*.dist-info"):
        name = info.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower()
        total = 0
        record = info / "RECORD"
        for line in record.read_text().splitlines() if record.exists() else []:
            file = site / line.split(",", 1)[0]
            if file.is_file():
                total += file.stat().st_size
        sizes[name] = total / 1e6
    return sizes


def _listed(python: Path) -> list[str]:
    """Lower-case names of the distributions ``pip list`` shows."""
    done = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return sorted(p["name"].lower() for p in json.loads(done.stdout))


# What moto's [server] extra adds over moto + flask (pip's names, lower case): none of it is used by the emulator or
# by the tests, so neither [local] nor [dev] should bring it.
MOTO_SERVER_ONLY = ("cfn-lint", "sympy", "docker", "aws-xray-sdk", "openapi-spec-validator", "graphql-core",
                    "py-partiql-parser", "jsonpath-ng", "joserfc", "antlr4-python3-runtime")  # fmt: skip


VALIDATE = [str(REPO_ROOT / "examples" / "qwen25-7b.yaml")]
DEFAULT_EXTRAS = ["core", "hub", "local", "local,hub", "dev"]


def _target(extra: str) -> str:
    return str(REPO_ROOT) if extra == "core" else f"{REPO_ROOT}[{extra}]"


def _has_emulator(extra: str) -> bool:
    return bool({"local", "dev"} & set(extra.split(",")))


def measure(extra: str, venv: Path, cwd: str) -> tuple[float, int] | None:
    """Install ``.[extra]`` into a fresh venv at ``venv`` and print its size and packages; (MB, count) if it works."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = next((venv / "lib").glob("python*/site-packages"))
    seed_mb, seed = _size_mb(site), _listed(python)
    start = time.monotonic()
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", _target(extra)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if install.returncode != 0:
        print(install.stderr[-3000:])
        return None
    took = time.monotonic() - start
    packages = _listed(python)
    added = sorted(set(packages) - set(seed))
    sizes = _distributions(site)
    total_mb = _size_mb(site)
    label = "." if extra == "core" else f".[{extra}]"
    print(f"\npip install '{label}' into a fresh venv: {took:.0f} s")
    print(f"  installed: {total_mb - seed_mb:.1f} MB in {len(added)} packages (lmi-deploy included)")
    print(f"  the fresh venv already had {', '.join(seed)} ({seed_mb:.1f} MB); with them: {total_mb:.1f} MB, "
          f"{len(packages)} packages")  # fmt: skip
    print(f"  packages: {', '.join(added)}")
    largest = sorted(((n, mb) for n, mb in sizes.items() if n.lower() not in seed), key=lambda kv: -kv[1])[:8]
    print("  largest: " + ", ".join(f"{name} {mb:.1f} MB" for name, mb in largest))
    server_only = [name for name in MOTO_SERVER_ONLY if name in packages]
    print(f"  moto[server]-only packages installed: {', '.join(server_only) or 'none'}")
    works = _smoke(python, extra, cwd)
    return (total_mb - seed_mb, len(added)) if works else None


def _smoke(python: Path, extra: str, cwd: str) -> bool:
    """``lmi validate`` on the example spec; with the emulator, also a create + streamed invoke against it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HF_HUB_OFFLINE"] = "1"  # no Hub read: the example's model is in the bundled library
    checks = [("lmi validate examples/qwen25-7b.yaml", [str(python), "-m", "deploy.cli", "validate", *VALIDATE])]
    if _has_emulator(extra):
        checks.append(("emulator smoke test (create + streamed invoke)", [str(python), "-c", SMOKE]))
    ok = True
    for name, argv in checks:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, check=False)
        detail = f", {done.stdout.strip()} stream events" if "emulator" in name else ""
        print(f"  {name} on this install: {'ok' + detail if done.returncode == 0 else 'FAILED'}")
        if done.returncode != 0:
            print(done.stderr[-2000:])
            ok = False
    return ok


def _summary(results: dict[str, tuple[float, int] | None]) -> None:
    """What each extra adds over the core install (when the core was measured in this run)."""
    core = results.get("core")
    print("\nsummary (installed by pip, the venv's own pip/setuptools apart):")
    for extra, got in results.items():
        if got is None:
            print(f"  {extra:<10} FAILED")
            continue
        over = f"  (+{got[0] - core[0]:.1f} MB, +{got[1] - core[1]} packages over core)" if core else ""
        print(f"  {extra:<10} {got[0]:6.1f} MB  {got[1]:3d} packages{over if extra != 'core' else ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ", ".join(DEFAULT_EXTRAS)
    parser.add_argument("--extra", action="append", help=f"extra ('core': none), repeatable (default: {default})")
    parser.add_argument("--keep", type=Path, help="build the venvs under this directory and keep them")
    args = parser.parse_args()
    print(machine_line())
    results: dict[str, tuple[float, int] | None] = {}
    with tempfile.TemporaryDirectory(prefix="lmi-local-size-") as tmp:
        for extra in args.extra or DEFAULT_EXTRAS:
            venv = (args.keep or Path(tmp)) / f"venv-{extra.replace(',', '-')}"
            results[extra] = measure(extra, venv, tmp)
    _summary(results)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
