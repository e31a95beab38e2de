"""``python -m deploy.local``: run the emulator in the foreground as the background server of ``lmi local start``.

Rule: the process announces itself only once it listens (it writes ``server.json`` in the state directory) and
removes that file when it stops (SIGTERM or Ctrl-C), so a state file never points at a dead server for long.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from deploy.local.background import STATE_FILE
from deploy.local.emulator import Emulator


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--ttft", type=float, default=0.0)
    parser.add_argument("--itl", type=float, default=0.0)
    parser.add_argument("--state-dir", type=Path, default=Path(".lmi/local"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    emulator = Emulator(
        time_scale=args.time_scale, ttft_s=args.ttft, itl_s=args.itl, host=args.host, port=args.port
    ).start()
    state_path = args.state_dir / STATE_FILE
    state = {
        "pid": os.getpid(),
        "port": int(emulator.endpoint_url.rsplit(":", 1)[1]),
        "endpoint_url": emulator.endpoint_url,
        "time_scale": args.time_scale,
        "ttft_s": args.ttft,
        "itl_s": args.itl,
        "started_at": time.time(),
    }
    args.state_dir.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps(state, indent=2))
    print(f"lmi emulator listening on {emulator.endpoint_url}", flush=True)

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
        current = state_path.read_text() if state_path.exists() else ""
        if f'"pid": {os.getpid()}' in current:
            state_path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
