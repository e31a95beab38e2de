"""How big are ``pip install 'lmi-deploy[local]'`` and ``[dev]``? Builds fresh venvs, installs the checkout, measures.

Prints the installed size (site-packages, and the whole venv), the number of distributions installed (lmi-deploy
and pip included, as ``pip list`` shows them), the largest ones, and whether the emulator then starts and serves a
streamed request (a lean extra that cannot run the emulator would be no saving), and whether any of moto[server]'s
extra packages (cfn-lint, sympy, docker, ...) came along. Targets (issue 15) for [local]: <= 150 MB and <= 40
packages.

    python benchmarks/local_install_size.py [--extra local] [--extra dev] [--keep DIR]
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


def measure(extra: str, venv: Path, cwd: str) -> bool:
    """Install ``.[extra]`` into a fresh venv at ``venv``, print its size and packages; True if the smoke test ran."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = next((venv / "lib").glob("python*/site-packages"))
    seed_mb, seed = _size_mb(site), _listed(python)
    start = time.monotonic()
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"{REPO_ROOT}[{extra}]"],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if install.returncode != 0:
        print(install.stderr[-3000:])
        return False
    took = time.monotonic() - start
    packages = _listed(python)
    added = sorted(set(packages) - set(seed))
    sizes = _distributions(site)
    total_mb = _size_mb(site)
    print(f"\npip install '.[{extra}]' into a fresh venv: {took:.0f} s")
    print(f"  installed: {total_mb - seed_mb:.1f} MB in {len(added)} packages (lmi-deploy included)")
    print(f"  the fresh venv already had {', '.join(seed)} ({seed_mb:.1f} MB); with them: {total_mb:.1f} MB, "
          f"{len(packages)} packages")  # fmt: skip
    print(f"  packages: {', '.join(added)}")
    largest = sorted(((n, mb) for n, mb in sizes.items() if n.lower() not in seed), key=lambda kv: -kv[1])[:8]
    print("  largest: " + ", ".join(f"{name} {mb:.1f} MB" for name, mb in largest))
    server_only = [name for name in MOTO_SERVER_ONLY if name in packages]
    print(f"  moto[server]-only packages installed: {', '.join(server_only) or 'none'}")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    smoke = subprocess.run([str(python), "-c", SMOKE], capture_output=True, text=True, cwd=cwd, env=env,
                           check=False)  # fmt: skip
    verdict = f"ok, {smoke.stdout.strip()} stream events" if smoke.returncode == 0 else "FAILED"
    print(f"  emulator smoke test on this install (create + streamed invoke): {verdict}")
    if smoke.returncode != 0:
        print(smoke.stderr[-2000:])
    return smoke.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", help="extra to install, repeatable (default: local and dev)")
    parser.add_argument("--keep", type=Path, help="build the venvs under this directory and keep them")
    args = parser.parse_args()
    print(machine_line())
    ok = True
    with tempfile.TemporaryDirectory(prefix="lmi-local-size-") as tmp:
        for extra in args.extra or ["local", "dev"]:
            ok = measure(extra, (args.keep or Path(tmp)) / f"venv-{extra}", tmp) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
