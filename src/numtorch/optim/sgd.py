"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD)."""
import numpy as np

from .._tensor import _from_array
from .optimizer import (Optimizer, _check_fused_flags, _check_fused_param, _check_one_element, _num, _real,
                        _unreal, _use_grad_for_differentiable)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as torch.optim.SGD.

    .. math::
        g_t &= \pm\nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + (1-\tau) g_t & t > 1 \end{cases} \\
        g_t &\leftarrow g_t + \mu b_t \ \text{(nesterov)} \quad\text{or}\quad g_t \leftarrow b_t \ (\mu \ne 0) \\
        \theta_t &= \theta_{t-1} - \gamma g_t

    (the sign of the gradient is flipped with ``maximize``).

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``1e-3``.
        momentum (float): momentum factor :math:`\mu`. Default: ``0``.
        dampening (float): dampening :math:`\tau` for momentum. Default: ``0``.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: ``0``.
        nesterov (bool): use Nesterov momentum. Default: ``False``.
        maximize (bool): maximize the objective instead of minimizing. Default: ``False``.
        foreach, differentiable, fused: accepted for compatibility with torch; numtorch runs one loop.

    State (per parameter): ``'momentum_buffer'`` (when ``momentum != 0``).

    Example::

        >>> opt = numtorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_one_element(lr, "lr")
        if _num(lr) < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if _num(weight_decay) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused_flags(defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one SGD step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["fused"]:
                    _check_fused_param(p)
                state = self.state[p] if momentum != 0 else None
                buf = _sgd_update(
                    _real(p._data), _real(p.grad._data),
                    None if state is None or state.get("momentum_buffer") is None
                    else _real(state["momentum_buffer"]._data),
                    lr=_num(group["lr"]), momentum=momentum, dampening=group["dampening"],
                    weight_decay=_num(group["weight_decay"]), nesterov=group["nesterov"],
                    maximize=group["maximize"])
                p._vc[0] += 1
                if state is not None and state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = _from_array(_unreal(buf, p._data))
        return loss


def _sgd_update(param, grad, buf, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One SGD step on arrays, in place on ``param`` (and ``buf``); returns the momentum buffer (or None).

    ``grad`` is never written. The order of operations is torch's single-tensor loop.
    """
    d_p, owned = grad, False                       # owned: d_p is our temporary and may be overwritten
    if maximize:
        d_p, owned = np.negative(grad), True
    if weight_decay != 0:                          # g + lambda * theta
        decay = np.multiply(param, float(weight_decay))
        d_p, owned = np.add(d_p, decay, out=decay), True
    if momentum != 0:
        if buf is None:                            # b_1 = g_1
            buf = np.array(d_p, copy=True)
        else:                                      # b_t = mu * b_{t-1} + (1 - tau) * g_t
            buf *= momentum
            if dampening == 0:
                buf += d_p
            else:
                buf += np.multiply(d_p, 1 - dampening)
        if nesterov:                               # g + mu * b
            nest = np.multiply(buf, momentum)
            d_p, owned = np.add(d_p, nest, out=nest), True
        else:
            d_p, owned = buf, False
    update = np.multiply(d_p, float(-lr), out=d_p if owned else None)   # theta - lr * g
    param += update
    return buf
