"""A child process for the store tests: records answers and runs, printing each acknowledged one.

usage: python writer.py DB NAME ANSWERS RUNS [forever]
Prints `ack <uuid>` after every committed answer and `run <id>` after every finished run.
"""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

from lab.store import Store


def main() -> None:
    db, name, answers, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    forever = len(sys.argv) > 5
    store = Store.open(Path(db))
    run_id = store.start_run(f"exp-{name}", "lesson", {"lr": 0.1}, {}, 0, "cpu", "test")
    print(f"started {run_id}", flush=True)
    i = 0
    while forever or i < answers:
        key = str(uuid.uuid4())
        store.record_answer(
            f"q-{i % 7}",
            "lesson",
            i % 3 != 0,
            str(i),
            3 if i % 3 else 1,
            datetime.now(timezone.utc),
            review_uuid=key,
        )
        print(f"ack {key}", flush=True)
        store.add_points(run_id, [(i, "train", 1.0 / (i + 1))])
        if i % 10 == 0:
            store.add_epoch(run_id, i // 10, {"train_loss": 1.0 / (i + 1)})
        i += 1
    store.finish_run(run_id, "completed", "", {"train_loss": 0.1}, 1.0)
    print(f"run {run_id}", flush=True)
    for _ in range(runs - 1):
        rid = store.start_run(f"exp-{name}", "lesson", {}, {}, None, "cpu", "test")
        store.add_points(rid, [(s, "train", 0.5) for s in range(20)])
        store.finish_run(rid, "completed", "", {}, 0.1)
        print(f"run {rid}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
