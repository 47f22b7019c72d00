"""A copy in its own process, for the kill -9 and shard tests (tests/data/test_copy.py).

The destination is a LocalStore that appends one line per write it is asked for ("put KEY",
"part KEY N") to a log before writing, and optionally sleeps, so a test can kill the copy mid-way and
then see, from outside, what the resumed run wrote again.

usage: copy_worker.py SRC DST JOURNAL LOG DELAY_S
"""

from __future__ import annotations

import os
import sys
import time

from homeport.data.copy import copy
from homeport.data.stores.local import LocalStore

PART = 64 * 1024


class LoggingStore(LocalStore):
    def __init__(self, path, log: str, delay: float):
        super().__init__(path)
        self.log, self.delay = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT), delay

    def _note(self, line: str) -> None:
        os.write(self.log, (line + "\n").encode())  # one write per line: whole lines even under kill -9
        time.sleep(self.delay)

    def put(self, key, chunks, metadata=None):
        self._note(f"put {key}")
        return super().put(key, chunks, metadata)

    def put_part(self, key, upload_id, number, data):
        self._note(f"part {key} {number}")
        return super().put_part(key, upload_id, number, data)


if __name__ == "__main__":
    src, dst, journal, log, delay = sys.argv[1:6]
    result = copy(LocalStore(src), LoggingStore(dst, log, float(delay)), journal=journal, workers=4,
                  part_size=PART, multipart_threshold=4 * PART)
    sys.exit(0 if result.ok else 1)
