"""Whatever a lesson file holds, the loader returns a lesson or problems; it never raises."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.catalog.loader import load_file

GOOD = yaml.safe_load(
    (Path(__file__).parents[1] / "fixtures" / "good" / "01-gradient-descent.yaml").read_text()
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)
keys = st.sampled_from(
    [
        "id",
        "title",
        "order",
        "summary",
        "sections",
        "glossary",
        "quiz",
        "experiments",
        "prerequisites",
        "x",
    ]
)


def mutate(doc, path_choice, value):
    """Replace one value somewhere inside the good lesson with a random one."""
    node = doc
    for step in path_choice:
        if isinstance(node, dict) and node:
            key = sorted(node)[step % len(node)]
            if not isinstance(node[key], (dict, list)):
                node[key] = value
                return doc
            node = node[key]
        elif isinstance(node, list) and node:
            i = step % len(node)
            if not isinstance(node[i], (dict, list)):
                node[i] = value
                return doc
            node = node[i]
    return doc


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(keys, values, max_size=8))
def test_random_documents_never_raise(tmp_path, doc):
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    lesson, problems = load_file(path)
    assert lesson is not None or problems
    assert all(str(p).startswith(f"{path}:") for p in problems)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=8), values)
def test_mutated_good_lessons_never_raise(tmp_path, path_choice, value):
    import copy

    doc = mutate(copy.deepcopy(GOOD), path_choice, value)
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    lesson, problems = load_file(path)
    assert lesson is not None or problems


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(tmp_path, raw):
    path = tmp_path / "bytes.yaml"
    path.write_bytes(raw)
    lesson, problems = load_file(path)
    assert lesson is not None or problems
