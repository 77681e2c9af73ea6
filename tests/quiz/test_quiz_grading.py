"""Grading of every question kind, and parsing what a learner types."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.quiz.grading import AnswerError, answer_text, grade, parse_answer
from lab.quiz.text_answers import answer_words, normalize_text


def test_single(questions):
    q = questions["single"]  # answer: index 1, "Against the gradient"
    assert grade(q, 1).correct
    assert not grade(q, 0).correct
    assert not grade(q, True).correct, "a bool is no index"
    correct, feedback, _ = grade(q, 2)
    assert not correct and "2. Against the gradient" in feedback and "points uphill" in feedback
    assert parse_answer(q, " 2 ") == 1
    for bad in ["0", "4", "two", "1 2", ""]:
        with pytest.raises(AnswerError):
            parse_answer(q, bad)


def test_multiple(questions):
    q = questions["multiple"]  # answers [0, 2]
    assert grade(q, {0, 2}).correct and grade(q, [2, 0]).correct
    assert not grade(q, {0}).correct and not grade(q, {0, 1, 2}).correct
    assert not grade(q, None).correct
    assert parse_answer(q, "1,3") == {0, 2} == parse_answer(q, "3 1") == parse_answer(q, "1; 3")
    assert answer_text(q, {2, 0}) == "0,2"
    with pytest.raises(AnswerError):
        parse_answer(q, "1,9")


def test_true_false(questions):
    q = questions["true_false"]  # answer false
    assert grade(q, False).correct and not grade(q, True).correct
    assert not grade(q, 0).correct, "0 is no bool"
    assert parse_answer(q, "F") is False and parse_answer(q, "yes") is True
    with pytest.raises(AnswerError):
        parse_answer(q, "maybe")


def test_numeric(questions, catalog):
    q = questions["numeric"]  # 600, tolerance 0
    assert grade(q, 600).correct and grade(q, "600.0").correct
    assert not grade(q, 601).correct and not grade(q, float("nan")).correct
    assert not grade(q, "six hundred").correct
    assert parse_answer(q, "6e2") == 600 == parse_answer(q, "60,0".replace(",", ""))
    assert parse_answer(q, "60,000") == 60000
    assert parse_answer(q, "0,69") == 0.69 == parse_answer(q, "0,690"), "a decimal comma"
    assert parse_answer(q, "-1,5") == -1.5 and parse_answer(q, ",5") == 0.5
    assert parse_answer(q, "1,500") == 1500, "three digits after a comma group thousands"
    for bad in ["abc", "inf", "nan"]:
        with pytest.raises(AnswerError):
            parse_answer(q, bad)
    tolerant = q.model_copy(update={"answer": 0.5, "tolerance": 0.05})
    assert grade(tolerant, 0.549).correct and grade(tolerant, 0.45).correct
    assert not grade(tolerant, 0.56).correct
    exact = q.model_copy(update={"answer": 0.3, "tolerance": 0.0})
    assert grade(exact, 0.1 + 0.2).correct, "float rounding is no mistake"


def test_text(questions):
    q = questions["text"]  # [learning rate, lr]
    assert grade(q, "Learning Rate").correct
    assert grade(q, "  learning \t  rate ").correct
    assert grade(q, "LR").correct
    assert grade(q, "learning-rate").correct and grade(q, "learningrate").correct
    assert grade(q, "the learning rates").correct
    assert not grade(q, "rate").correct and not grade(q, "learning").correct
    assert not grade(q, 5).correct
    assert normalize_text(" A  b\nC ") == "a b c"
    with pytest.raises(AnswerError):
        parse_answer(q, "   ")


def text_question(questions, answers, prompt="What is it called?"):
    return questions["text"].model_copy(update={"answers": answers, "prompt": prompt})


@pytest.mark.parametrize(
    ("answers", "typed"),
    [
        (["saddle point"], "saddle points"),
        (["saddle point"], "The saddle point"),
        (["backward()"], "backward ()"),
        (["backward()"], "backward"),
        (["download=True"], "download = True"),
        (["SGD"], "torch.optim.SGD"),
        (["nn.Linear"], "nn.Linear()"),
        (["Linear"], "torch.nn.Linear"),
        (["hyperparameter"], "hyper parameter"),
        (["hyperparameter"], "hyper-parameters"),
        (["mean squared error"], "mean-squared error"),
        (["mean squared error"], "Mean  Squared\tErrors"),
        (["batch"], "batches"),
        (["probability"], "probabilities"),
        (["loss"], "losses"),
        (["Compose"], "torchvision.transforms.Compose"),
        (["F.relu"], "torch.nn.functional.relu"),
    ],
)
def test_text_phrasings_that_mean_the_same_are_right(questions, answers, typed):
    result = grade(text_question(questions, answers), typed)
    assert result.correct and not result.spelling, (typed, answer_words(typed))
    assert result.feedback.startswith("Right.")


@pytest.mark.parametrize(
    ("answers", "typed"),
    [
        (["x - 1"], "x 1"),  # a minus is no hyphen
        (["-1"], "1"),
        (["the"], ""),
        (["self.dense"], "dense.self"),
        (["conv2d"], "conv1d"),  # one edit, but a digit: another layer
        (["relu"], "relo"),  # a word under five letters must be exact
        (["saddle point"], "sadle pint"),  # one typo is forgiven, not two
        (["data.shape"], "shape"),  # `data.` is a variable, not a module
        (["mean squared error"], "mean absolute error"),
        (["download=True"], "download=False"),
    ],
)
def test_text_that_means_something_else_is_wrong(questions, answers, typed):
    assert not grade(text_question(questions, answers), typed).correct


def test_one_typo_in_a_long_word_is_right_with_a_spelling_note(questions):
    q = text_question(questions, ["saddle point", "a saddle point"])
    for typed in ["sadle point", "saddel point", "saddle poitn", "saddle points"]:
        assert grade(q, typed).correct, typed
    result = grade(q, "sadle points")
    assert result.correct and result.spelling == "saddle point"
    assert result.feedback.splitlines()[0] == "Right; check the spelling: saddle point"
    assert not grade(q, "sadl point").correct, "two edits in one word"
    assert grade(text_question(questions, ["gradient"]), "gradeint").spelling == "gradient"
    assert not grade(text_question(questions, ["momentum"]), "momemtun").correct


def test_a_misspelling_the_prompt_shows_is_no_typo(questions, catalog):
    prompt = "The forward method calls self.demse(x). What attribute should it call?"
    q = text_question(questions, ["self.dense", "dense"], prompt)
    assert not grade(q, "demse").correct and not grade(q, "self.demse").correct
    assert grade(q, "self.dense").correct and grade(q, "Dense").correct


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=40))
def test_any_typed_text_is_an_answer_or_a_polite_retry(questions, text):
    """Whatever a learner types, parsing gives an answer or an AnswerError, and grading never raises."""
    for q in questions.values():
        try:
            answer = parse_answer(q, text)
        except AnswerError as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        correct, feedback, _ = grade(q, answer)
        assert isinstance(correct, bool) and q.explanation.strip() in feedback
        answer_text(q, answer)


# Each rule of reading a text answer: a phrasing it lets through, and a near miss it must not.
# (answers, prompt, typed, right)
RULES = {
    "surrounding quotes": [
        (["nccl"], "Which backend?", '"nccl"', True),
        (["nccl"], "Which backend?", "'NCCL'", True),
        (["nccl"], "Which backend?", "`nccl`", True),
        (["nccl"], "Which backend?", '"gloo"', False),
    ],
    "irregular plurals": [
        (["confusion matrix"], "What is it called?", "confusion matrices", True),
        (["local minimum"], "What is it called?", "local minima", True),
        (["bias"], "What is it called?", "biases", True),
        (["confusion matrix"], "What is it called?", "confusion metrics", False),
    ],
    "a space for an underscore": [
        (["state_dict"], "model.____()", "state dict", True),
        (["init_process_group"], "Which call?", "init process group", True),
        (["state_dict"], "model.____()", "state.dict", False),
        (["state_dict"], "model.____()", "dict state", False),
    ],
    "positional and keyword arguments": [
        (["argmax(dim=1)"], "Which call?", "argmax(1)", True),
        (["logits.argmax(dim=1)"], "Which call?", "logits.argmax( 1 )", True),
        (["argmax(1)"], "Which call?", "argmax(dim=1)", True),
        (["argmax(dim=1)"], "Which call?", "argmax(keepdim=1)", False),
        (["argmax(dim=1)"], "Which call?", "argmax(0)", False),
    ],
    "a trailing category word": [
        (["nccl"], "Which backend?", "nccl backend", True),
        (["AdamW"], "Which class?", "AdamW optimizer", True),
        (["StepLR"], "Which class?", "StepLR schedulers", True),
        (["nccl"], "Which communication backend do you pass?", 'backend="nccl"', True),
        (["nccl"], "Which backend?", "gloo backend", False),
        (["hidden layer"], "What is it called?", "hidden", False),  # part of the answer
        (["nccl"], "Which library?", 'backend="nccl"', False),  # the prompt asks no backend
    ],
    "a possessive or article in front": [
        (["state_dict"], "model.____()", "the model's state_dict", True),
        (["state_dict"], "model.____()", "its state_dict", True),
        (["state_dict"], "model.____()", "the state dict", True),
        (["Bessel's correction"], "What is it called?", "Newton's correction", False),
        (["state_dict"], "model.____()", "state_dict's keys", False),
    ],
}


@pytest.mark.parametrize(
    ("answers", "prompt", "typed", "right"),
    [case for cases in RULES.values() for case in cases],
)
def test_each_reading_rule_with_its_near_miss(questions, answers, prompt, typed, right):
    result = grade(text_question(questions, answers, prompt), typed)
    assert result.correct is right, (typed, answer_words(typed))
    assert not result.spelling, "no rule but the typo rule asks to check the spelling"


@pytest.mark.parametrize(
    ("answers", "prompt", "typed", "spelling"),
    [
        (["state_dict"], "model.____()", "state_dcit", "state_dict"),
        (["state_dict"], "model.____()", "stat dict", "state_dict"),
        (["clip_grad_norm_"], "Which function?", "clip_grad_norm", "clip_grad_norm_"),
        (["clip_grad_norm_"], "Which function?", "clip grad nrom_", "clip_grad_norm_"),
        (["self.dense"], "What should forward call?", "self.dens", "self.dense"),
        (["argmax(dim=1)"], "Which call?", "argmx(1)", "argmax(dim=1)"),
    ],
)
def test_one_typo_inside_an_identifier_is_right_with_a_spelling_note(
    questions, answers, prompt, typed, spelling
):
    assert grade(text_question(questions, answers, prompt), typed).spelling == spelling


@pytest.mark.parametrize(
    ("answers", "prompt", "typed"),
    [
        (["self.dense"], "forward calls self.demse(x). What should it call?", "self.demse"),
        (
            ["init_process_group"],
            "It calls init_proces_group. What should it?",
            "init_proces_group",
        ),
        (["nn.Conv1d"], "Which layer?", "nn.Conv2d"),  # a digit is no typo
        (["nn.ReLU"], "Which layer?", "nn.ReLo"),  # the piece has four letters
        (["clip_grad_norm_"], "Which function?", "clip_grad_value_"),
        (["state_dict"], "model.____()", "stat_dcit"),  # two typos
        (["argmax(dim=1)"], "Which call?", "argmax(dmi=1)"),  # a name must be right
    ],
)
def test_near_misses_of_a_typo_inside_an_identifier_are_wrong(questions, answers, prompt, typed):
    assert not grade(text_question(questions, answers, prompt), typed).correct
