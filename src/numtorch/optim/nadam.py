"""NAdam: Adam with Nesterov momentum (torch.optim.NAdam)."""
import numpy as np

from .._tensor import Tensor, _from_array
from .adam import _check_adam_args
from .optimizer import (Optimizer, _check_capturable, _lerp_, _num, _pow, _real, _scalar_np_dtype,
                        _use_grad_for_differentiable, _zero_step)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, as torch.optim.NAdam (with momentum decay and optional decoupled weight decay).

    .. math::
        \mu_t &= \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right), \qquad
        \mu_{t+1} = \beta_1\left(1 - \tfrac12\, 0.96^{(t+1)\psi}\right), \qquad
        \Pi_t = \prod_{i \le t} \mu_i \\
        m_t &= \operatorname{lerp}(m_{t-1}, g_t, 1 - \beta_1), \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad d = \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1} - \gamma\frac{1-\mu_t}{1-\Pi_t}\frac{g_t}{d}
            - \gamma\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\frac{m_t}{d}

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``2e-3``.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: ``(0.9, 0.999)``.
        eps (float): :math:`\epsilon`. Default: ``1e-8``.
        weight_decay (float): :math:`\lambda` (L2, or decoupled). Default: ``0``.
        momentum_decay (float): :math:`\psi`. Default: ``4e-3``.
        decoupled_weight_decay (bool): AdamW-style decay. Default: ``False``.
        foreach, differentiable: accepted for compatibility with torch.
        maximize (bool): maximize the objective. Default: ``False``.
        capturable (bool): torch's flag; ``True`` raises torch's CPU error at ``step``. Default: ``False``.

    State (per parameter): ``'step'``, ``'mu_product'`` (0-d tensor), ``'exp_avg'``, ``'exp_avg_sq'``.

    Example::

        >>> opt = numtorch.optim.NAdam(model.parameters())
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay, None, False)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["mu_product"], Tensor):
                    p_state["mu_product"] = _from_array(np.array(p_state["mu_product"], dtype=_scalar_np_dtype()))
        self._setstate_steps()

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one NAdam step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _zero_step()
                    state["mu_product"] = _from_array(np.ones((), dtype=_scalar_np_dtype()))
                    state["exp_avg"] = _from_array(np.zeros_like(p._data))
                    state["exp_avg_sq"] = _from_array(np.zeros_like(p._data))
            if params and group["capturable"]:
                _check_capturable("params, mu_products and state_steps")
            beta1, beta2 = group["betas"]
            for p in params:
                state = self.state[p]
                step_t = state["step"]._data
                step_t += 1
                _nadam_update(_real(p._data), _real(p.grad._data), _real(state["exp_avg"]._data),
                              _real(state["exp_avg_sq"]._data), state["mu_product"]._data, float(step_t),
                              beta1=_num(beta1), beta2=_num(beta2), lr=_num(group["lr"]),
                              weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                              eps=group["eps"], decoupled=group["decoupled_weight_decay"],
                              maximize=group["maximize"])
                p._vc[0] += 1
        return loss


def _nadam_update(param, grad, exp_avg, exp_avg_sq, mu_product, step, *, beta1, beta2, lr, weight_decay,
                  momentum_decay, eps, decoupled, maximize):
    """One NAdam step on arrays (``step`` already incremented; ``mu_product`` a 0-d array updated in place)."""
    g = np.negative(grad) if maximize else grad
    bias_correction2 = 1 - _pow(beta2, step)
    if weight_decay != 0:
        if decoupled:                                        # theta *= 1 - lr * lambda
            param *= float(1 - lr * weight_decay)
        else:                                                # g + lambda * theta
            decay = np.multiply(param, float(weight_decay))
            g = np.add(g, decay, out=decay)
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu                                         # Pi_t = Pi_{t-1} * mu_t, in the state's dtype
    scratch = _lerp_(exp_avg, g, 1 - beta1)                  # m = lerp(m, g, 1 - beta1)
    exp_avg_sq *= float(beta2)                               # v = beta2 * v + (1 - beta2) * g * g
    sq = np.multiply(g, float(1 - beta2))
    sq *= g
    exp_avg_sq += sq
    denom = np.divide(exp_avg_sq, float(bias_correction2), out=sq)   # sqrt(v / (1 - beta2^t)) + eps
    np.sqrt(denom, out=denom)
    mu_product_value = float(mu_product)
    mu_product_next = mu_product_value * mu_next
    denom += eps
    update = np.multiply(g, float(-lr * (1.0 - mu) / (1.0 - mu_product_value)), out=scratch)
    update /= denom
    param += update
    update = np.multiply(exp_avg, float((-lr * mu_next) / (1.0 - mu_product_next)), out=scratch)
    update /= denom
    param += update
