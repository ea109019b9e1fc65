"""Adadelta: step sizes from running averages of squared gradients and squared updates (torch.optim.Adadelta)."""
import numpy as np

from .._tensor import _from_array
from .optimizer import (Optimizer, _check_capturable, _check_one_element, _num, _real, _use_grad_for_differentiable,
                        _zero_step)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, as torch.optim.Adadelta.

    .. math::
        g_t &= \pm\nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1} \\
        v_t &= \rho v_{t-1} + (1-\rho) g_t^2 \\
        \Delta x_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1-\rho) \Delta x_t^2 \\
        \theta_t &= \theta_{t-1} - \gamma \Delta x_t

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): coefficient :math:`\gamma` scaling the delta. Default: ``1.0``.
        rho (float): running-average coefficient :math:`\rho`. Default: ``0.9``.
        eps (float): :math:`\epsilon`. Default: ``1e-6``.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: ``0``.
        foreach, differentiable: accepted for compatibility with torch.
        capturable (bool): torch's flag; ``True`` raises torch's CPU error at ``step``. Default: ``False``.
        maximize (bool): maximize the objective. Default: ``False``.

    State (per parameter): ``'step'``, ``'square_avg'`` (:math:`v`), ``'acc_delta'`` (:math:`u`).

    Example::

        >>> opt = numtorch.optim.Adadelta(model.parameters())
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_one_element(lr, "lr")
        if not 0.0 <= _num(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        self._setstate_steps()

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one Adadelta step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _zero_step()
                    state["square_avg"] = _from_array(np.zeros_like(p._data))
                    state["acc_delta"] = _from_array(np.zeros_like(p._data))
            if params and group["capturable"]:
                _check_capturable(xla=False)
            for p in params:
                state = self.state[p]
                state["step"]._data += 1
                _adadelta_update(_real(p._data), _real(p.grad._data), _real(state["square_avg"]._data),
                                 _real(state["acc_delta"]._data), lr=_num(group["lr"]), rho=group["rho"],
                                 eps=group["eps"], weight_decay=group["weight_decay"], maximize=group["maximize"])
                p._vc[0] += 1
        return loss


def _adadelta_update(param, grad, square_avg, acc_delta, *, lr, rho, eps, weight_decay, maximize):
    """One Adadelta step on arrays, in place, in torch's single-tensor order (``grad`` is never written)."""
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:                                    # g + lambda * theta
        decay = np.multiply(param, float(weight_decay))
        g = np.add(g, decay, out=decay)
    square_avg *= rho                                        # v = rho * v + (1 - rho) * g * g
    sq = np.multiply(g, 1 - rho)
    sq *= g
    square_avg += sq
    std = np.add(square_avg, eps, out=sq)                    # sqrt(v + eps)
    np.sqrt(std, out=std)
    delta = np.add(acc_delta, eps)                           # delta = sqrt(u + eps) / std * g
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    acc_delta *= rho                                         # u = rho * u + (1 - rho) * delta * delta
    dsq = np.multiply(delta, 1 - rho, out=std)
    dsq *= delta
    acc_delta += dsq
    delta *= float(-lr)                                      # theta -= lr * delta
    param += delta
