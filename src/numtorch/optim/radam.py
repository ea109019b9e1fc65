"""RAdam: Adam with a rectified adaptive learning rate (torch.optim.RAdam)."""
import numpy as np

from .._tensor import _from_array
from .adam import _check_adam_args
from .optimizer import (Optimizer, _check_capturable, _lerp_, _num, _pow, _real, _use_grad_for_differentiable,
                        _zero_step)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, as torch.optim.RAdam.

    .. math::
        m_t &= \operatorname{lerp}(m_{t-1}, g_t, 1 - \beta_1), \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,
            \qquad \hat m_t = m_t / (1 - \beta_1^t) \\
        \rho_\infty &= \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t} \\
        \theta_t &= \theta_{t-1} - \gamma\,\hat m_t \cdot \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon}
            \cdot \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}
            \quad (\rho_t > 5), \qquad \theta_t = \theta_{t-1} - \gamma\,\hat m_t \ \text{otherwise}

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``1e-3``.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: ``(0.9, 0.999)``.
        eps (float): :math:`\epsilon`. Default: ``1e-8``.
        weight_decay (float): :math:`\lambda` (L2, or decoupled). Default: ``0``.
        decoupled_weight_decay (bool): AdamW-style decay. Default: ``False``.
        foreach, differentiable: accepted for compatibility with torch.
        maximize (bool): maximize the objective. Default: ``False``.
        capturable (bool): torch's flag; ``True`` raises torch's CPU error at ``step``. Default: ``False``.

    State (per parameter): ``'step'``, ``'exp_avg'``, ``'exp_avg_sq'``.

    Example::

        >>> opt = numtorch.optim.RAdam(model.parameters())
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay, None, False)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("capturable", False)
        self._setstate_steps()

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one RAdam step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _zero_step()
                    state["exp_avg"] = _from_array(np.zeros_like(p._data))
                    state["exp_avg_sq"] = _from_array(np.zeros_like(p._data))
            if params and group["capturable"]:
                _check_capturable()
            beta1, beta2 = group["betas"]
            for p in params:
                state = self.state[p]
                step_t = state["step"]._data
                step_t += 1
                _radam_update(_real(p._data), _real(p.grad._data), _real(state["exp_avg"]._data),
                              _real(state["exp_avg_sq"]._data), float(step_t), beta1=_num(beta1),
                              beta2=_num(beta2), lr=_num(group["lr"]), weight_decay=group["weight_decay"],
                              eps=group["eps"], decoupled=group["decoupled_weight_decay"],
                              maximize=group["maximize"])
                p._vc[0] += 1
        return loss


def _radam_update(param, grad, exp_avg, exp_avg_sq, step, *, beta1, beta2, lr, weight_decay, eps, decoupled,
                  maximize):
    """One RAdam step on arrays (``step`` already incremented), in torch's single-tensor order."""
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        if decoupled:                                        # theta *= 1 - lr * lambda
            param *= float(1 - lr * weight_decay)
        else:                                                # g + lambda * theta
            decay = np.multiply(param, float(weight_decay))
            g = np.add(g, decay, out=decay)
    scratch = _lerp_(exp_avg, g, 1 - beta1)                  # m = lerp(m, g, 1 - beta1)
    exp_avg_sq *= float(beta2)                               # v = beta2 * v + (1 - beta2) * g * g
    sq = np.multiply(g, float(1 - beta2))
    sq *= g
    exp_avg_sq += sq
    bias_correction1 = 1 - _pow(beta1, step)
    bias_correction2 = 1 - _pow(beta2, step)
    update = np.divide(exp_avg, float(bias_correction1), out=scratch)   # m_hat * lr
    update *= float(lr)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * _pow(beta2, step) / bias_correction2
    if rho_t > 5.0:
        adaptive = np.sqrt(exp_avg_sq, out=sq)               # sqrt(1 - beta2^t) / (sqrt(v) + eps), as torch
        adaptive += eps                                      # evaluates float / tensor: reciprocal * float
        np.reciprocal(adaptive, out=adaptive)
        adaptive *= float(_pow(bias_correction2, 0.5))
        update *= adaptive
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        update *= float(rect)
    param -= update
