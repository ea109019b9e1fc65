"""Adamax: Adam with the infinity norm (torch.optim.Adamax)."""
import numpy as np

from .._tensor import _from_array
from .adam import _check_adam_args
from .optimizer import (Optimizer, _check_capturable, _lerp_, _num, _pow, _rdiv, _real, _use_grad_for_differentiable,
                        _zero_step)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, as torch.optim.Adamax.

    .. math::
        g_t &= \pm\nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1} \\
        m_t &= \operatorname{lerp}(m_{t-1}, g_t, 1 - \beta_1) \\
        u_t &= \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \cdot \frac{m_t}{u_t}

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``2e-3``.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: ``(0.9, 0.999)``.
        eps (float): :math:`\epsilon`. Default: ``1e-8``.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: ``0``.
        foreach, differentiable: accepted for compatibility with torch.
        maximize (bool): maximize the objective. Default: ``False``.
        capturable (bool): torch's flag; ``True`` raises torch's CPU error at ``step``. Default: ``False``.

    State (per parameter): ``'step'``, ``'exp_avg'``, ``'exp_inf'``.

    Example::

        >>> opt = numtorch.optim.Adamax(model.parameters())
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay, None, False)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
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
        """Perform one Adamax step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _zero_step()
                    state["exp_avg"] = _from_array(np.zeros_like(p._data))
                    state["exp_inf"] = _from_array(np.zeros_like(p._data))
            if params and group["capturable"]:
                _check_capturable()
            beta1, beta2 = group["betas"]
            for p in params:
                state = self.state[p]
                step_t = state["step"]._data
                step_t += 1
                _adamax_update(_real(p._data), _real(p.grad._data), _real(state["exp_avg"]._data),
                               _real(state["exp_inf"]._data), float(step_t), beta1=_num(beta1), beta2=_num(beta2),
                               lr=_num(group["lr"]), eps=group["eps"], weight_decay=group["weight_decay"],
                               maximize=group["maximize"])
                p._vc[0] += 1
        return loss


def _adamax_update(param, grad, exp_avg, exp_inf, step, *, beta1, beta2, lr, eps, weight_decay, maximize):
    """One Adamax step on arrays (``step`` already incremented), in torch's single-tensor order."""
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:                                    # g + lambda * theta
        decay = np.multiply(param, float(weight_decay))
        g = np.add(g, decay, out=decay)
    scratch = _lerp_(exp_avg, g, 1 - beta1)                  # m = lerp(m, g, 1 - beta1)
    exp_inf *= float(beta2)                                  # u = max(beta2 * u, |g| + eps)
    norm = np.abs(g, out=scratch)
    norm += eps
    np.maximum(exp_inf, norm, out=exp_inf)
    clr = _rdiv(lr, 1 - _pow(beta1, step))                   # theta += (-clr * m) / u
    update = np.multiply(exp_avg, float(-clr), out=scratch)
    update /= exp_inf
    param += update
