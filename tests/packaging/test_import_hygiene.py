"""The quick commands never import torch or textual: they would cost seconds on every call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "good"

CHECK = """
import sys
from lab.launch import main
sys.argv = ["lab", "--lessons", {fixtures!r}, *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("torch", "textual", "sklearn", "torchvision") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["lessons"],
        ["glossary"],
        ["glossary", "--json"],
        ["glossary", "epoch"],
        ["glossary", "lr"],
        ["experiments"],
        ["validate"],
        ["exercises"],
    ],
)
def test_quick_commands_import_no_torch_or_textual(args):
    code = CHECK.format(fixtures=str(FIXTURES), args=args)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY:\n" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("args", [["glossary"], ["glossary", "--json"], ["glossary", "lr"]])
def test_the_glossary_never_imports_the_cli(args):
    """`lab glossary`, listing or looking up, takes the fast path: no typer, no command modules."""
    code = CHECK.format(fixtures=str(FIXTURES), args=args).replace(
        '("torch", "textual", "sklearn", "torchvision")', '("typer", "lab.cli")'
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "gradient" in out.stdout, out.stdout + out.stderr
    assert "HEAVY:\n" in out.stdout, out.stdout


def test_headless_core_imports_no_textual():
    code = (
        "import sys, lab.catalog, lab.catalog.runspec\n"
        "import importlib.util as u\n"
        "for m in ('lab.store', 'lab.quiz.session', 'lab.quiz.progress', 'lab.engine.events',\n"
        "          'lab.engine.client', 'lab.exercises.session'):\n"
        "    if u.find_spec(m): __import__(m)\n"
        "print(sorted(m for m in ('torch', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_repeated_glossary_look_up_parses_no_lessons():
    """The second look-up is answered from the index cache: no YAML, no pydantic, no typer."""
    code = CHECK.format(fixtures=str(FIXTURES), args=["glossary", "lr"]).replace(
        '("torch", "textual", "sklearn", "torchvision")', '("yaml", "pydantic", "typer")'
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "learning rate" in first.stdout
    second = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "learning rate" in second.stdout and "HEAVY:\n" in second.stdout, second.stdout


def test_the_glossary_into_a_closed_pipe_ends_quietly():
    """`lab glossary | head -1`: the reader is gone before lab writes; no BrokenPipeError."""
    code = (
        "import sys\nfrom lab.launch import main\n"
        f"sys.argv = ['lab', '--lessons', {str(FIXTURES)!r}, 'glossary']\nmain()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc.stdout.close()  # long before the interpreter has started and written its first line
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert stderr.strip() == "", stderr
