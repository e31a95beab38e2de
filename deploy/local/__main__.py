"""``python -m deploy.local``: run the emulator in the foreground as the background server of ``lmi local start``.

Rule: the process holds the state directory's server lock for its whole life (a second server for the same
directory refuses to start), announces itself only once it listens (it writes ``server.json``, mode 0600, with a
fresh identity secret it answers challenges with) and removes that file when it stops (SIGTERM or Ctrl-C), so a
state file never points at a dead server for long.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from deploy.local.state import SERVER_LOCK, new_identity, process_start_ticks, remove_state, state_dir, write_state


def _checked(check: Callable[..., Any], flag: str) -> Callable[[str], Any]:
    """An argparse type that applies the same check as ``lmi local start`` (one rule for both)."""

    def parse(text: str) -> Any:
        from deploy.errors import UsageError

        try:
            return check(text, flag=flag)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(f"{exc.message}; {exc.fix}") from exc

    return parse


def _parse(argv: list[str]) -> argparse.Namespace:
    from deploy.cli.flags import check_port, check_seconds, check_time_scale

    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_checked(check_port, "--port"), default=0)
    parser.add_argument("--time-scale", type=_checked(check_time_scale, "--time-scale"), default=1.0)
    parser.add_argument("--ttft", type=_checked(check_seconds, "--ttft"), default=0.0)
    parser.add_argument("--itl", type=_checked(check_seconds, "--itl"), default=0.0)
    parser.add_argument("--state-dir", type=Path, default=None, help="default: the user-level state directory")
    return parser.parse_args(argv)


def _lock(directory: Path) -> Any:
    """The server lock, held until the process exits; None when another server holds it."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / SERVER_LOCK, "a")  # noqa: SIM115 - kept open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    directory = (args.state_dir or state_dir()).absolute()
    lock = _lock(directory)
    if lock is None:
        print(f"error: another emulator already serves the state directory {directory}", flush=True)
        return 3
    from deploy.local.emulator import Emulator

    fixed = {"ttft_s": args.ttft, "itl_s": args.itl} if args.ttft or args.itl else {}  # 0 and 0: the perf model
    emulator = Emulator(time_scale=args.time_scale, host=args.host, port=args.port, **fixed)
    instance_id, secret = new_identity()
    emulator.state.identity_secret, emulator.state.instance_id = secret, instance_id
    try:
        emulator.start()
    except (OSError, SystemExit) as exc:  # werkzeug exits itself when the port is taken
        reason = exc.strerror if isinstance(exc, OSError) else "the port is in use"
        print(f"error: cannot listen on {args.host}:{args.port}: {reason or exc}", flush=True)
        return 2
    write_state(directory, _state(emulator, args, instance_id, secret))
    print(f"lmi emulator listening on {emulator.endpoint_url}", flush=True)
    return _serve(emulator, directory, instance_id)


def _state(emulator: Any, args: argparse.Namespace, instance_id: str, secret: str) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "process_start_ticks": process_start_ticks(os.getpid()),
        "port": int(emulator.endpoint_url.rsplit(":", 1)[1]),
        "endpoint_url": emulator.endpoint_url,
        "time_scale": args.time_scale,
        "ttft_s": args.ttft,
        "itl_s": args.itl,
        "started_at": time.time(),
        "instance_id": instance_id,
        "secret": secret,
    }


def _serve(emulator: Any, directory: Path, instance_id: str) -> int:
    def _stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        emulator.stop()
        remove_state(directory, instance_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
