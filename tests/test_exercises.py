"""The exercise checks: right answers pass, each usual mistake gets its own message.

Each wrong implementation below is a mistake a student makes; the test asserts the
check names it. The right implementations are written here from the formulas (not
from linreg), so that the package's reference and this file are independent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg import exercises
from linreg.exercises import ExerciseError

Array = Any


# -- right answers, from the formulas -------------------------------------------------------------
def forward(X: Array, W: Array, b: float) -> Array:
    return X @ W + b


def loss(y_pred: Array, y: Array) -> float:
    return float(np.mean((y_pred - y.reshape(-1)) ** 2))


def backward(X: Array, y: Array, y_pred: Array) -> tuple[Array, float]:
    r = y_pred - y.reshape(-1)
    N = X.shape[0]
    return 2 / N * X.T @ r, 2 / N * float(np.sum(r))


def step(W: Array, b: float, dW: Array, db: float, learning_rate: float) -> tuple[Array, float]:
    return W - learning_rate * dW, b - learning_rate * db


def train(X: Array, y: Array, W: Array, b: float, learning_rate: float, epochs: int) -> Any:
    losses = []
    for _ in range(epochs):
        y_pred = forward(X, W, b)
        losses.append(loss(y_pred, y))
        W, b = step(W, b, *backward(X, y, y_pred), learning_rate)
    return W, b, losses


def eta_max(X: Array) -> float:
    A = np.column_stack([X, np.ones(len(X))])
    return float(2 / np.linalg.eigvalsh(2 / len(X) * A.T @ A)[-1])


def standardize(X: Array) -> tuple[Array, Array, Array]:
    mean, std = X.mean(axis=0), X.std(axis=0)
    return (X - mean) / std, mean, std


RIGHT = [
    (exercises.check_forward, forward),
    (exercises.check_loss, loss),
    (exercises.check_backward, backward),
    (exercises.check_step, step),
    (exercises.check_train, train),
    (exercises.check_eta_max, eta_max),
    (exercises.check_standardize, standardize),
]


@pytest.mark.parametrize(("check", "function"), RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_right_answers_pass(check: Any, function: Any) -> None:
    passed = check(function)
    assert repr(passed).startswith(f"✓ {function.__name__} is right on ")
    assert "y as (N,) and (N, 1)" in repr(passed)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_right_backward_and_train_pass_on_any_seed(seed: int) -> None:
    exercises.check_backward(backward, seed=seed)
    exercises.check_train(train, seed=seed, n_cases=4)


def test_cases_cover_the_shapes() -> None:
    cases = exercises.cases(seed=3, n_cases=12)
    assert {(c.N, c.d) for c in cases} >= {(1, 1), (1, 3), (6, 1), (5, 3)}
    assert {c.column for c in cases} == {True, False}
    assert [c.target.shape for c in cases[:2]] == [(1,), (1, 1)]
    again = exercises.cases(seed=3, n_cases=12)
    assert all(np.array_equal(a.X, b.X) for a, b in zip(cases, again, strict=True))


def test_exercise_error_is_an_assertion_error() -> None:
    assert issubclass(ExerciseError, AssertionError)


def test_a_blank_raises_not_implemented() -> None:
    def blank(X: Array, W: Array, b: float) -> Array:
        raise NotImplementedError("write forward")

    with pytest.raises(NotImplementedError, match="write forward"):
        exercises.check_forward(blank)


def test_another_exception_names_the_case() -> None:
    def broken(X: Array, W: Array, b: float) -> Array:
        return X @ W[:1] + b  # right with one feature, a shape error with more

    with pytest.raises(
        ExerciseError, match=r"forward raised ValueError on case 2 of 12 \(N=1, d=3"
    ):
        exercises.check_forward(broken)


# -- forward ---------------------------------------------------------------------------------------
def test_forward_without_bias() -> None:
    with pytest.raises(ExerciseError, match="forward leaves out the bias"):
        exercises.check_forward(lambda X, W, b: X @ W)


def test_forward_of_the_wrong_shape() -> None:
    with pytest.raises(ExerciseError, match=r"has shape \(1, 1\), expected \(1,\).*reshape it"):
        exercises.check_forward(lambda X, W, b: (X @ W + b).reshape(-1, 1))


# -- loss ------------------------------------------------------------------------------------------
def test_loss_without_the_mean() -> None:
    with pytest.raises(
        ExerciseError, match="N times the right value: did you forget to divide by N"
    ):
        exercises.check_loss(lambda y_pred, y: np.sum((y_pred - y.reshape(-1)) ** 2))


def test_loss_with_a_half() -> None:
    with pytest.raises(ExerciseError, match="half the right value: linreg's MSE has no 1/2"):
        exercises.check_loss(lambda y_pred, y: np.mean((y_pred - y.reshape(-1)) ** 2) / 2)


def test_loss_root_mean_square() -> None:
    with pytest.raises(ExerciseError, match="that is the RMSE"):
        exercises.check_loss(lambda y_pred, y: np.sqrt(np.mean((y_pred - y.reshape(-1)) ** 2)))


def test_loss_broadcasting_bug() -> None:
    # (N,) - (N, 1) is an (N, N) matrix whose mean is one, wrong, number.
    with pytest.raises(ExerciseError, match=r"broadcasts \(N,\) against \(N, 1\)"):
        exercises.check_loss(lambda y_pred, y: np.mean((y_pred - y) ** 2))


# -- backward --------------------------------------------------------------------------------------
def _backward(
    factor_w: float = 1.0, factor_b: float = 1.0, *, mean: bool = True, sign: int = 1
) -> Any:
    def wrong(X: Array, y: Array, y_pred: Array) -> tuple[Array, float]:
        r = sign * (y_pred - y.reshape(-1))
        scale = 1 / X.shape[0] if mean else 1.0
        return factor_w * scale * X.T @ r, factor_b * scale * float(np.sum(r))

    return wrong


def test_backward_missing_factor_two() -> None:
    message = (
        "dW and db\\) is half the right value: did you drop the 2 from the derivative of the square"
    )
    with pytest.raises(ExerciseError, match=message):
        exercises.check_backward(_backward())


def test_backward_missing_two_in_db_only() -> None:
    with pytest.raises(ExerciseError, match="db is half the right value: did you drop the 2"):
        exercises.check_backward(_backward(2.0, 1.0))


def test_backward_missing_mean() -> None:
    with pytest.raises(
        ExerciseError, match="N times the right value: did you forget to divide by N"
    ):
        exercises.check_backward(_backward(2.0, 2.0, mean=False))


def test_backward_wrong_sign() -> None:
    with pytest.raises(
        ExerciseError, match="wrong sign: the residual is r = y_pred - y, not y - y_pred"
    ):
        exercises.check_backward(_backward(2.0, 2.0, sign=-1))


def test_backward_broadcasting_bug() -> None:
    def wrong(X: Array, y: Array, y_pred: Array) -> tuple[Array, float]:
        r = y_pred - y  # (N,) - (N, 1): an (N, N) matrix when y is a column
        return 2 / len(X) * X.T @ r, 2 / len(X) * float(np.sum(r))

    with pytest.raises(ExerciseError, match=r"broadcasts \(N,\) against \(N, 1\) into an \(N, N\)"):
        exercises.check_backward(wrong)


def test_backward_not_a_pair() -> None:
    with pytest.raises(ExerciseError, match=r"should return a pair \(dW, db\)"):
        exercises.check_backward(lambda X, y, y_pred: 2 / len(X) * X.T @ (y_pred - y.reshape(-1)))


# -- step ------------------------------------------------------------------------------------------
def test_step_wrong_sign() -> None:
    with pytest.raises(ExerciseError, match="moves up the gradient: subtract"):
        exercises.check_step(lambda W, b, dW, db, lr: (W + lr * dW, b + lr * db))


def test_step_without_learning_rate() -> None:
    with pytest.raises(ExerciseError, match="leaves out the learning rate"):
        exercises.check_step(lambda W, b, dW, db, lr: (W - dW, b - db))


def test_step_forgets_b() -> None:
    with pytest.raises(ExerciseError, match="does not update b"):
        exercises.check_step(lambda W, b, dW, db, lr: (W - lr * dW, b))


def test_step_changes_its_argument_in_place() -> None:
    def in_place(W: Array, b: float, dW: Array, db: float, lr: float) -> tuple[Array, float]:
        dW *= lr
        return W - dW, b - lr * db

    with pytest.raises(ExerciseError, match="changed dW in place"):
        exercises.check_step(in_place)


# -- train -----------------------------------------------------------------------------------------
def test_train_b_update_uses_new_W() -> None:
    def late_b(X: Array, y: Array, W: Array, b: float, lr: float, epochs: int) -> Any:
        losses = []
        for _ in range(epochs):
            y_pred = forward(X, W, b)
            losses.append(loss(y_pred, y))
            dW, _ = backward(X, y, y_pred)
            W = W - lr * dW
            _, db = backward(X, y, forward(X, W, b))  # db from the new W
            b = b - lr * db
        return W, b, losses

    with pytest.raises(ExerciseError, match="b's update uses the new W"):
        exercises.check_train(late_b)


def test_train_records_losses_after_the_update() -> None:
    def late_loss(X: Array, y: Array, W: Array, b: float, lr: float, epochs: int) -> Any:
        losses = []
        for _ in range(epochs):
            W, b = step(W, b, *backward(X, y, forward(X, W, b)), lr)
            losses.append(loss(forward(X, W, b), y))
        return W, b, losses

    with pytest.raises(ExerciseError, match="recorded after each update"):
        exercises.check_train(late_loss)


def test_train_broadcasting_bug() -> None:
    def wrong(X: Array, y: Array, W: Array, b: float, lr: float, epochs: int) -> Any:
        losses = []
        for _ in range(epochs):
            r = forward(X, W, b) - y  # (N, N) when y is a column
            losses.append(float(np.mean(r**2)))
            W, b = (
                W - lr * 2 / len(X) * (X.T @ r).reshape(len(W), -1).sum(axis=1),
                b - lr * 2 * float(np.mean(r)),
            )
        return W, b, losses

    with pytest.raises(ExerciseError, match="broadcasts"):
        exercises.check_train(wrong)


def test_train_one_epoch_short() -> None:
    with pytest.raises(ExerciseError, match=r"is wrong on case 1 of 8"):
        exercises.check_train(lambda X, y, W, b, lr, epochs: train(X, y, W, b, lr, epochs - 1))


# -- eta_max and standardize -----------------------------------------------------------------------
def _eigen(X: Array, *, bias: bool = True, scale: float | None = None) -> Array:
    A = np.column_stack([X, np.ones(len(X))]) if bias else X
    return np.linalg.eigvalsh((2 / len(X) if scale is None else scale) * A.T @ A)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda X: 1 / _eigen(X)[-1], "not 1 / lambda_max"),
        (lambda X: 2 / _eigen(X, bias=False)[-1], "leaves out the bias"),
        (lambda X: 2 / _eigen(X, scale=1.0)[-1], r"uses A\^T A"),
        (lambda X: 2 / _eigen(X)[0], "smallest eigenvalue"),
    ],
)
def test_eta_max_mistakes(wrong: Any, message: str) -> None:
    with np.errstate(divide="ignore"), pytest.raises(ExerciseError, match=message):
        exercises.check_eta_max(wrong)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda X: ((X - X.mean(0)) / X.std(0, ddof=1), X.mean(0), X.std(0, ddof=1)), "ddof=1"),
        (
            lambda X: ((X - X.mean()) / X.std(0), np.full(X.shape[1], X.mean()), X.std(0)),
            "mean is over the whole array",
        ),
        (lambda X: ((X - X.mean(0)) / X.var(0), X.mean(0), X.std(0)), "divides by the variance"),
        (lambda X: (X / X.std(0), X.mean(0), X.std(0)), "not centred"),
    ],
)
def test_standardize_mistakes(wrong: Any, message: str) -> None:
    with pytest.raises(ExerciseError, match=message):
        exercises.check_standardize(wrong)
