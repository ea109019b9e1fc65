"""Binary arithmetic and matrix products against torch."""
import pytest

from helpers import check_op, lib

pytestmark = pytest.mark.torch

BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 6))]


@pytest.mark.parametrize("sa,sb", BROADCAST)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary(op, sa, sb):
    check_op([sa, sb], lambda a, b: getattr(a, op)(b), low=0.5, high=2.0)


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__radd__", "__rsub__",
                                "__rmul__", "__rtruediv__", "__pow__", "__rpow__"])
@pytest.mark.parametrize("scalar", [2, 0.5])
def test_scalar_operators(op, scalar):
    check_op([(3, 4)], lambda a: getattr(a, op)(scalar), low=0.5, high=2.0)


def test_add_alpha():
    check_op([(3, 4), (4,)], lambda a, b: lib(a).add(a, b, alpha=2.5))
    check_op([(3, 4), (4,)], lambda a, b: lib(a).sub(a, b, alpha=-0.5))


def test_pow_tensor_tensor():
    check_op([(3, 4), (3, 4)], lambda a, b: a ** b, low=0.5, high=2.0)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)),
                                   ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
                                   ((3, 4), (2, 4, 5))])
def test_matmul(sa, sb):
    check_op([sa, sb], lambda a, b: a @ b)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)])
def test_sum_mean(dim, keepdim):
    if dim is None:
        check_op([(2, 3, 4)], lambda a: a.sum())
        check_op([(2, 3, 4)], lambda a: a.mean())
    else:
        check_op([(2, 3, 4)], lambda a: a.sum(dim, keepdim=keepdim))
        check_op([(2, 3, 4)], lambda a: a.mean(dim, keepdim=keepdim))
