"""Adagrad: per-coordinate learning rates from the sum of squared gradients (torch.optim.Adagrad)."""
import numpy as np

from .._tensor import _from_array
from .optimizer import (Optimizer, _check_fused_flags, _check_fused_param, _check_one_element, _num, _real,
                        _use_grad_for_differentiable, _zero_step)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, as torch.optim.Adagrad.

    .. math::
        g_t &= \pm\nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1} \\
        \tilde\gamma &= \gamma / (1 + (t-1)\eta) \\
        s_t &= s_{t-1} + g_t^2 \\
        \theta_t &= \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``1e-2``.
        lr_decay (float): learning-rate decay :math:`\eta`. Default: ``0``.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: ``0``.
        initial_accumulator_value (float): initial value of :math:`s`. Default: ``0``.
        eps (float): :math:`\epsilon`. Default: ``1e-10``.
        foreach, differentiable, fused: accepted for compatibility with torch.
        maximize (bool): maximize the objective. Default: ``False``.

    State (per parameter, created at construction): ``'step'``, ``'sum'``.

    Example::

        >>> opt = numtorch.optim.Adagrad(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_one_element(lr, "lr")
        if not 0.0 <= _num(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_fused_flags(defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _zero_step(group["fused"])
                state["sum"] = _from_array(self._initial_sum(p, initial_accumulator_value))

    @staticmethod
    def _initial_sum(p, value):
        if p._data.dtype.kind == "c":
            value = complex(value, value)
        return np.full_like(p._data, value)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        self._setstate_steps()

    def share_memory(self):
        """No-op (numtorch tensors live in one process); kept for API compatibility."""

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one Adagrad step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["fused"]:
                    _check_fused_param(p)
                state = self.state[p]
                if len(state) == 0:                          # a parameter added after construction
                    state["step"] = _zero_step(group["fused"])
                    state["sum"] = _from_array(self._initial_sum(p, self.defaults["initial_accumulator_value"]))
                step_t = state["step"]._data
                step_t += 1
                _adagrad_update(_real(p._data), _real(p.grad._data), _real(state["sum"]._data), float(step_t),
                                lr=_num(group["lr"]), weight_decay=group["weight_decay"],
                                lr_decay=group["lr_decay"], eps=group["eps"], maximize=group["maximize"])
                p._vc[0] += 1
        return loss


def _adagrad_update(param, grad, state_sum, step, *, lr, weight_decay, lr_decay, eps, maximize):
    """One Adagrad step on arrays (``step`` already incremented), in torch's single-tensor order."""
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:                                    # g + lambda * theta
        decay = np.multiply(param, float(weight_decay))
        g = np.add(g, decay, out=decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    sq = np.multiply(g, g)                                   # s += g * g
    state_sum += sq
    std = np.sqrt(state_sum, out=sq)                         # sqrt(s) + eps
    std += eps
    update = np.multiply(g, float(-clr))                     # theta += (-clr * g) / std
    update /= std
    param += update
