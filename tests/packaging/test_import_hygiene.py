"""What `lab` imports at run time, where the import contracts cannot see: the commands import
lazily, inside functions. The quick commands never import torch or textual (they would cost
seconds on every call), `lab glossary` never imports typer or the CLI, and a repeated look-up no
YAML or pydantic. The static rules (the headless core never imports textual; the catalog, the
quiz and the run session never import torch) are contracts in .importlinter, which
`lint-imports` checks in `make lint` and `make test`.

Each check is a step in one interpreter: modules only accumulate in `sys.modules`, so the first
step after which a forbidden module is loaded is the one that imported it.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "textual", "sklearn", "torchvision"]

STEPS = [
    # (command line or module, modules that must not be loaded once it has run)
    (["glossary"], [*HEAVY, "typer", "lab.cli"]),
    (["glossary", "--json"], [*HEAVY, "typer", "lab.cli"]),
    (["glossary", "epoch"], [*HEAVY, "typer", "lab.cli"]),
    (["glossary", "lr"], [*HEAVY, "typer", "lab.cli"]),
    (["--help"], HEAVY),
    (["lessons"], HEAVY),
    (["experiments"], HEAVY),
    (["validate", "--no-run"], HEAVY),  # running the solutions starts a checker process
    (["exercises"], HEAVY),
    # the modules both front-ends import; the worker process is where torch lives
    ("lab.catalog.runspec", ["torch", "textual"]),
    ("lab.store", ["torch", "textual"]),
    ("lab.quiz.grading", ["torch", "textual"]),
    ("lab.quiz.scheduler", ["torch", "textual"]),
    ("lab.quiz.session", ["torch", "textual"]),
    ("lab.quiz.progress", ["torch", "textual"]),
    ("lab.runs.session", ["torch", "textual"]),
    ("lab.engine.events", ["torch", "textual"]),
    ("lab.engine.client", ["torch", "textual"]),
    ("lab.exercises.session", ["torch", "textual"]),
    ("lab.cli.progress_cmds", ["torch", "textual"]),
    ("lab.cli.runs_cmds", ["torch", "textual"]),
    (["progress", "--json"], ["torch", "textual"]),
    (["runs"], ["torch", "textual"]),
    (["quiz", "--plain", "what-is-ml", "--limit", "1"], ["torch", "textual"]),
    (["export", "digits-cnn"], ["torch", "textual", "sklearn"]),
]

RUN_STEPS = """
import io, json, sys
from lab.launch import main

report = []
for step, forbidden in json.loads(sys.argv[1]):
    if isinstance(step, str):
        __import__(step)
    else:
        sys.argv, sys.stdin = ["lab", *step], io.StringIO("2\\n")
        try:
            main()
        except SystemExit:
            pass
    report.append([step, sorted(m for m in forbidden if m in sys.modules)])
print("REPORT:" + json.dumps(report))
"""

LOADED = """
import json, sys
from lab.launch import main
sys.argv = ["lab", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("LOADED:" + json.dumps(sorted(m for m in ("yaml", "pydantic", "typer") if m in sys.modules)))
"""


def _python(code: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out.stdout


def test_commands_and_modules_load_only_what_they_need(shipped_lessons):
    """On the real course: `lab export` needs its digits-cnn, and it has every kind of entry."""
    stdout = _python(RUN_STEPS, json.dumps(STEPS))
    assert "gradient" in stdout and "learning rate" in stdout  # the glossary answered
    report = json.loads(stdout.rsplit("REPORT:", 1)[1])
    loaded = [(step, modules) for step, modules in report if modules]
    assert not loaded, f"the first step to load a forbidden module: {loaded[0]}"

    # The steps above wrote the glossary's index; a look-up now reads it and nothing else.
    again = _python(LOADED, "glossary", "lr")
    assert "learning rate" in again
    assert json.loads(again.rsplit("LOADED:", 1)[1]) == []


def test_the_glossary_into_a_closed_pipe_ends_quietly(shipped_lessons):
    """`lab glossary | head -1`: the reader is gone before lab writes; no BrokenPipeError."""
    code = "import sys\nfrom lab.launch import main\nsys.argv = ['lab', 'glossary']\nmain()\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc.stdout.close()  # long before the interpreter has started and written its first line
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert stderr.strip() == "", stderr
