"""A worker of ``tessera run --nproc N``: ``python -m tessera.runs._worker OUT_DIR NAME``.

The process ends with ``os._exit`` once its files are closed and its output flushed: the run
folder is complete by then, and skipping the interpreter's teardown avoids an occasional
abort in the distributed backend's destructors that would turn a completed run into a
failed worker.
"""

from __future__ import annotations

import logging
import os
import sys

from tessera.runs._launch import worker_main

if __name__ == "__main__":
    try:
        code = worker_main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        logging.getLogger("tessera.runs").exception("worker failed")
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
