"""Run a command and print its wall-clock seconds and peak memory as one JSON line.

    python measure.py CMD [ARG ...]

Linux counts the memory a process had before it ran ``exec`` into its peak, so a child forked
from a benchmark that holds a generated tenant would inherit that tenant's size. This small
process is forked instead, and forks the command itself: the peak it reports is the command's
own. The command's standard output and error pass through; the JSON line goes last, on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> None:
    started = time.monotonic()
    child = subprocess.Popen(sys.argv[1:])
    _, status, usage = os.wait4(child.pid, 0)
    print(
        json.dumps(
            {
                "seconds": time.monotonic() - started,
                "peak_mb": usage.ru_maxrss // 1024,
                "status": os.waitstatus_to_exitcode(status),
            }
        )
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
