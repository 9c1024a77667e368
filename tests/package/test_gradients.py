"""d2l_prep.gradients: the gradient check saved from the Calculus chapter."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from d2l_prep.gradients import check_gradient, numerical_gradient


def f64(*values: Any) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def square_with_slope(factor: float) -> type[torch.autograd.Function]:
    """x ** 2 whose backward returns ``factor * x`` (the truth is 2x)."""

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
            (x,) = ctx.saved_tensors
            return grad_output * factor * x

    return Square


# Deliberately wrong backward passes: 3x instead of 2x, and 0.1 % too large.
WrongSquare = square_with_slope(3.0)
SlightlyWrongSquare = square_with_slope(2.0 * 1.001)


# -- numerical_gradient ------------------------------------------------------------


def test_numerical_gradient_of_known_functions() -> None:
    x = f64(0.5, -1.0, 2.0)
    torch.testing.assert_close(numerical_gradient(lambda x: (x**2).sum(), x), 2 * x)
    torch.testing.assert_close(numerical_gradient(lambda x: x.sin().sum(), x), x.cos())
    torch.testing.assert_close(numerical_gradient(lambda x: x.exp().sum(), x), x.exp())
    torch.testing.assert_close(
        numerical_gradient(lambda x: x[0] * x[1] ** 2, x), f64(1.0, -1.0, 0.0)
    )


def test_numerical_gradient_of_a_quadratic_form() -> None:
    torch.manual_seed(0)
    A = torch.randn(4, 4, dtype=torch.float64)
    x = torch.randn(4, dtype=torch.float64)
    torch.testing.assert_close(
        numerical_gradient(lambda x: x @ A @ x, x), (A + A.T) @ x
    )


def test_numerical_gradient_has_the_shape_of_x_and_is_float64() -> None:
    X = torch.arange(6.0).reshape(2, 3)
    grad = numerical_gradient(lambda X: (X**2).sum(), X)
    assert grad.shape == (2, 3) and grad.dtype == torch.float64
    torch.testing.assert_close(grad, 2 * X.double())
    scalar = numerical_gradient(lambda t: t**3, torch.tensor(2.0))
    assert scalar.shape == ()
    torch.testing.assert_close(scalar, torch.tensor(12.0, dtype=torch.float64))


def test_numerical_gradient_computes_in_float64_for_float32_input() -> None:
    x = torch.tensor([0.1, 1.0, 3.0])  # float32
    grad = numerical_gradient(lambda x: x.exp().sum(), x)
    torch.testing.assert_close(grad, x.double().exp(), rtol=1e-9, atol=0)


def test_numerical_gradient_of_non_contiguous_x() -> None:
    X = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).T
    assert not X.is_contiguous()
    grad = numerical_gradient(lambda X: (X[:, 0] * 10 + X[:, 1]).sum(), X)
    torch.testing.assert_close(grad, f64([10, 1], [10, 1], [10, 1]))


def test_numerical_gradient_leaves_x_unchanged() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    before = x.detach().clone()
    numerical_gradient(lambda x: (x**2).sum(), x)
    assert torch.equal(x.detach(), before) and x.grad is None


def test_numerical_gradient_accepts_python_numbers_from_f() -> None:
    grad = numerical_gradient(lambda x: float(x.sum()) * 2, f64(1.0, 2.0))
    torch.testing.assert_close(grad, f64(2.0, 2.0))


# -- check_gradient ------------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: (x**2).sum(),
        lambda x: x.sin().prod(),
        lambda x: torch.logsumexp(x, dim=0),
        lambda x: (x.exp() / (1 + x**2)).sum(),
        lambda x: torch.linalg.vector_norm(x),
    ],
    ids=["square", "sin-prod", "logsumexp", "quotient", "norm"],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_correct_gradients_pass(f: Any, dtype: torch.dtype) -> None:
    x = torch.tensor([0.3, -1.2, 2.0], dtype=dtype)
    assert check_gradient(f, x) is True


def test_deliberately_wrong_backward_fails() -> None:
    x = f64(0.5, -1.0, 2.0)
    assert check_gradient(lambda x: WrongSquare.apply(x).sum(), x) is False
    assert check_gradient(lambda x: (x**2).sum(), x) is True


def test_detached_factor_fails() -> None:
    assert check_gradient(lambda x: (x.detach() * x).sum(), f64(1.0, 2.0)) is False


def test_function_autograd_cannot_see_gets_a_zero_gradient() -> None:
    # Fully detached: autograd sees a constant, the numbers do not.
    assert check_gradient(lambda x: (x.detach() ** 2).sum(), f64(1.0, 2.0)) is False
    assert check_gradient(lambda x: torch.tensor(3.0), f64(1.0, 2.0)) is True


def test_tolerances_decide() -> None:
    x = f64(1.0, 2.0)

    def f(x: torch.Tensor) -> torch.Tensor:
        return SlightlyWrongSquare.apply(x).sum()

    assert check_gradient(f, x) is False
    assert check_gradient(f, x, rtol=1e-2) is True
    assert check_gradient(f, x, rtol=0, atol=0.01) is True


def test_check_gradient_leaves_x_unchanged() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    check_gradient(lambda x: (x**3).sum(), x)
    assert x.grad is None and torch.equal(x.detach(), torch.tensor([1.0, 2.0]))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_quadratic_forms_of_any_size(n: int, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, dtype=torch.float64, generator=generator)
    x = torch.randn(n, dtype=torch.float64, generator=generator)
    torch.testing.assert_close(
        numerical_gradient(lambda x: x @ A @ x, x), (A + A.T) @ x, rtol=1e-6, atol=1e-6
    )
    assert check_gradient(lambda x: x @ A @ x, x)
    # Detaching the first factor drops the A x part of the gradient.
    assume((A @ x).abs().max() > 1e-3)
    assert not check_gradient(lambda x: x.detach() @ A @ x, x)


# -- validation ----------------------------------------------------------------------


@pytest.mark.parametrize("function", [numerical_gradient, check_gradient])
def test_f_must_be_callable(function: Any) -> None:
    with pytest.raises(
        TypeError, match="f must be a callable taking a tensor, got int"
    ):
        function(3, f64(1.0))


@pytest.mark.parametrize(
    ("x", "got"),
    [([1.0, 2.0], "list"), (torch.tensor([1, 2]), "dtype torch.int64"), (1.5, "float")],
)
@pytest.mark.parametrize("function", [numerical_gradient, check_gradient])
def test_x_must_be_a_floating_point_tensor(function: Any, x: Any, got: str) -> None:
    with pytest.raises(
        TypeError, match=f"x must be a floating-point tensor, got {got}"
    ):
        function(lambda x: x.sum(), x)


@pytest.mark.parametrize("h", [0, -1e-5, math.inf, math.nan])
def test_h_must_be_finite_and_positive(h: float) -> None:
    with pytest.raises(ValueError, match="h must be finite and > 0"):
        numerical_gradient(lambda x: x.sum(), f64(1.0), h)
    with pytest.raises(ValueError, match="h must be finite and > 0"):
        check_gradient(lambda x: x.sum(), f64(1.0), h=h)


@pytest.mark.parametrize("h", ["1e-5", True, None])
def test_h_must_be_a_real_number(h: Any) -> None:
    with pytest.raises(TypeError, match="h must be a real number"):
        numerical_gradient(lambda x: x.sum(), f64(1.0), h)


@pytest.mark.parametrize("name", ["rtol", "atol"])
def test_tolerances_must_be_finite_and_non_negative(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be finite and >= 0, got -1"):
        check_gradient(lambda x: x.sum(), f64(1.0), **{name: -1})
    with pytest.raises(TypeError, match=f"{name} must be a real number"):
        check_gradient(lambda x: x.sum(), f64(1.0), **{name: "0.1"})
    assert check_gradient(lambda x: x.sum(), f64(1.0), **{name: 0})


@pytest.mark.parametrize("function", [numerical_gradient, check_gradient])
def test_f_must_return_a_scalar(function: Any) -> None:
    with pytest.raises(
        ValueError, match=r"f must return a real scalar, but f\(x\) has shape \(2,\)"
    ):
        function(lambda x: x * 2, f64(1.0, 2.0))


def test_f_must_return_a_number() -> None:
    with pytest.raises(
        TypeError, match="f must return a scalar tensor or a real number, got str"
    ):
        numerical_gradient(lambda x: "one", f64(1.0))


@pytest.mark.parametrize("shape", [(0,), (2, 0)])
def test_check_gradient_refuses_an_empty_x(shape: tuple[int, ...]) -> None:
    # A check over no entries would pass whatever the gradient.
    with pytest.raises(
        ValueError,
        match="x must hold at least one entry to check, got an empty tensor of "
        + re.escape(f"shape {shape}"),
    ):
        check_gradient(lambda x: x.sum(), torch.zeros(shape, dtype=torch.float64))


def test_check_gradient_needs_a_tensor_from_f() -> None:
    with pytest.raises(
        TypeError,
        match="f must return a tensor for autograd to differentiate, got float",
    ):
        check_gradient(lambda x: 2.0, f64(1.0))


# One dialect (issue 17 §2): NumPy scalars wherever Python numbers go, and a
# bool is never a number.
@pytest.mark.parametrize(
    "value", [np.float32(1e-4), np.float64(1e-4)], ids=lambda v: type(v).__name__
)
@pytest.mark.parametrize("argument", ["h", "rtol", "atol"])
def test_check_gradient_takes_numpy_scalars(argument: str, value: object) -> None:
    x = f64(1.0, 2.0, 3.0)
    assert check_gradient(lambda x: (x**3).sum(), x, **{argument: value}) is True


@pytest.mark.parametrize("value", [np.float32(1e-4), np.int64(1)], ids=str)
def test_numerical_gradient_takes_a_numpy_step(value: object) -> None:
    x = f64(1.0, 2.0)
    grad = numerical_gradient(lambda x: (x**2).sum(), x, h=value)  # type: ignore[arg-type]
    assert torch.allclose(grad, 2 * x, atol=1e-3)


@pytest.mark.parametrize("flag", [True, False, np.bool_(True)], ids=repr)
@pytest.mark.parametrize("argument", ["h", "rtol", "atol"])
def test_check_gradient_refuses_bools(argument: str, flag: object) -> None:
    with pytest.raises(
        TypeError, match=rf"{argument} must be a real number, got .*bool"
    ):
        check_gradient(lambda x: (x**3).sum(), f64(1.0), **{argument: flag})


def test_numerical_gradient_refuses_a_bool_step() -> None:
    with pytest.raises(TypeError, match="h must be a real number, got True"):
        numerical_gradient(lambda x: x.sum(), f64(1.0), h=True)  # type: ignore[arg-type]


def test_check_gradient_reports_the_entry_that_differs() -> None:
    def wrong(x: torch.Tensor) -> torch.Tensor:
        # The gradient is right except at x[1, 0], where it is 1 instead of 2 x.
        mask = torch.zeros_like(x, dtype=torch.bool)
        mask[1, 0] = True
        return torch.where(mask, x.detach() * x, x**2).sum()

    x = f64(1.0, 2.0, 3.0, 4.0).reshape(2, 2)
    assert check_gradient(wrong, x) is False
    with pytest.raises(ValueError) as caught:
        check_gradient(wrong, x, raise_exception=True)
    message = str(caught.value)
    assert "differ at x[1, 0]" in message
    assert "autograd 3," in message and "numerical 6," in message
    assert "(1 of 4 entries differ)" in message
    assert check_gradient(lambda x: (x**2).sum(), x, raise_exception=True) is True


def test_check_gradient_reports_a_zero_dimensional_point() -> None:
    with pytest.raises(ValueError, match=r"differ at x: autograd 1, numerical 2"):
        check_gradient(
            lambda x: x.detach() * x,
            torch.tensor(1.0, dtype=torch.float64),
            raise_exception=True,
        )


@pytest.mark.parametrize("flag", [1, "yes", np.bool_(True)], ids=repr)
def test_check_gradient_refuses_a_raise_exception_that_is_not_a_bool(
    flag: object,
) -> None:
    with pytest.raises(TypeError, match="raise_exception must be True or False"):
        check_gradient(lambda x: x.sum(), f64(1.0), raise_exception=flag)  # type: ignore[arg-type]
