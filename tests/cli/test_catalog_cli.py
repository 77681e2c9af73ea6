"""`lab lessons`, `lab glossary`, `lab experiments` and `lab validate` as a learner or script sees them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lab.cli import app, state

FIXTURES = Path(__file__).parents[1] / "fixtures" / "good"
runner = CliRunner()


def lab(*args: str):
    state._catalog = None  # each invocation loads its own catalog, as a real process would
    return runner.invoke(app, ["--lessons", str(FIXTURES), *args])


def test_lessons_json_has_stable_keys():
    result = lab("lessons", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["gd-example"] == {
        "id": "gd-example",
        "title": "Gradient descent, by example",
        "order": 1,
        "summary": "Step downhill on the cost until it stops falling.",
        "terms": 2,
        "questions": 5,
        "experiments": 2,
    }


def test_lessons_table():
    result = lab("lessons")
    assert result.exit_code == 0
    assert "gd-example" in result.stdout and "Gradient descent, by example" in result.stdout


def test_glossary_finds_a_term_by_alias_and_translations():
    for query in ("lr", "学习率", "taux d'apprentissage", "Learning Rate", "learning rat"):
        result = lab("glossary", query)
        assert result.exit_code == 0, (query, result.output)
        assert result.stdout.startswith("learning rate (lr, step size)"), query
        assert "lesson:   1. Gradient descent, by example (gd-example)" in result.stdout


def test_glossary_json_keys():
    result = lab("glossary", "梯度", "--json")
    assert json.loads(result.stdout) == [
        {
            "term": "gradient",
            "aliases": ["grad"],
            "short": "The slope of the cost with respect to each parameter.",
            "definition": "A vector of partial derivatives. It points uphill, so descent steps the other way.\n",
            "translations": {"zh": "梯度", "fr": "gradient"},
            "see_also": ["learning rate"],
            "lesson": "gd-example",
        }
    ]


def test_glossary_without_match_suggests_and_exits_1():
    result = lab("glossary", "xyzzy")
    assert result.exit_code == 1
    assert "no term matches 'xyzzy'. Closest:" in result.stderr


def test_glossary_lists_every_term():
    result = lab("glossary", "--json")
    assert [t["term"] for t in json.loads(result.stdout)] == ["gradient", "learning rate"]


def test_experiments_json():
    result = lab("experiments", "--json")
    assert {
        "id": "gd-example-sweep",
        "lesson": "gd-example",
        "title": "The cost over w",
        "kind": "scripted:cost-sweep",
    } in json.loads(result.stdout)


def test_validate_clean_and_broken(tmp_path):
    assert lab("validate", str(FIXTURES)).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Not A Slug\n")
    result = lab("validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:1:5: id: String should match pattern" in result.stdout
    assert "Traceback" not in result.output


def test_validate_missing_path(tmp_path):
    result = lab("validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1 and "no such file or folder" in result.stderr


def test_version_and_help():
    assert lab("--version").stdout.startswith("lab ")
    for cmd in ([], ["lessons"], ["glossary"], ["validate"], ["experiments"]):
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout
