"""Adam (and, with ``decoupled_weight_decay=True``, AdamW): adaptive moment estimation (torch.optim.Adam)."""
import numpy as np

from .._tensor import Tensor, _from_array
from .optimizer import (Optimizer, _check_capturable, _check_fused_flags, _check_fused_param, _check_one_element,
                        _lerp_, _num, _pow, _rdiv, _real, _use_grad_for_differentiable, _zero_step)

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay, foreach, capturable):
    """torch's argument checks shared by Adam and AdamW (and the Adam-like optimizers), in torch's order."""
    if isinstance(lr, Tensor):
        if foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_one_element(lr, "lr")
    if not 0.0 <= _num(lr):
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= _num(betas[0]) < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= _num(betas[1]) < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _squeeze(x):
    """torch's ``_to_scalar``: a tensor with dimensions is squeezed to 0-d, anything else is kept."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


class Adam(Optimizer):
    r"""Adam, as torch.optim.Adam (with ``amsgrad``, ``maximize`` and L2 or decoupled weight decay).

    .. math::
        g_t &= \pm\nabla_\theta f_t(\theta_{t-1}) \;(+\, \lambda\theta_{t-1} \text{ unless decoupled}),
            \qquad \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \text{ if decoupled} \\
        m_t &= \operatorname{lerp}(m_{t-1}, g_t, 1 - \beta_1), \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ (amsgrad) else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \cdot
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``1e-3``.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: ``(0.9, 0.999)``.
        eps (float): :math:`\epsilon` added to the denominator. Default: ``1e-8``.
        weight_decay (float): :math:`\lambda`. Default: ``0``.
        amsgrad (bool): use the running maximum of :math:`v_t`. Default: ``False``.
        maximize (bool): maximize the objective. Default: ``False``.
        decoupled_weight_decay (bool): AdamW-style weight decay. Default: ``False``.
        foreach, capturable, differentiable, fused: accepted as in torch; ``capturable=True`` raises torch's
            CPU error at ``step``.

    State (per parameter): ``'step'`` (0-d float tensor), ``'exp_avg'``, ``'exp_avg_sq'``,
    ``'max_exp_avg_sq'`` (amsgrad).

    Example::

        >>> opt = numtorch.optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay, foreach, capturable)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_squeeze, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_fused_flags(defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
        self._setstate_steps()

    def _init_state(self, group, p):
        state = self.state[p]
        if len(state) == 0:
            if group["fused"]:
                _check_fused_param(p)
            state["step"] = _zero_step(group["fused"])
            state["exp_avg"] = _from_array(np.zeros_like(p._data))
            state["exp_avg_sq"] = _from_array(np.zeros_like(p._data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _from_array(np.zeros_like(p._data))
        if group["foreach"] and isinstance(group["lr"], Tensor) and not group["capturable"]:
            raise RuntimeError("lr as a Tensor is not supported for capturable=False and foreach=True")
        return state

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one Adam step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            states = [self._init_state(group, p) for p in params]
            if params and group["capturable"]:
                _check_capturable()
            beta1, beta2 = group["betas"]
            for p, state in zip(params, states):
                step_t = state["step"]._data
                step_t += 1
                _adam_update(_real(p._data), _real(p.grad._data), _real(state["exp_avg"]._data),
                             _real(state["exp_avg_sq"]._data),
                             _real(state["max_exp_avg_sq"]._data) if group["amsgrad"] else None,
                             float(step_t), beta1=_num(beta1), beta2=_num(beta2), lr=_num(group["lr"]),
                             weight_decay=_num(group["weight_decay"]), eps=group["eps"], amsgrad=group["amsgrad"],
                             maximize=group["maximize"], decoupled=group["decoupled_weight_decay"])
                p._vc[0] += 1
        return loss


def _adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, beta1, beta2, lr, weight_decay, eps,
                 amsgrad, maximize, decoupled):
    """One Adam step on arrays (``step`` already incremented), in torch's single-tensor order.

    Scalars are computed as torch computes them (floats, or 0-d arrays of a tensor hyperparameter's dtype) and
    reach the arrays as Python floats, so they are applied in the parameter's dtype.
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        if decoupled:                                        # theta *= 1 - lr * lambda
            param *= float(1 - lr * weight_decay)
        else:                                                # g + lambda * theta
            decay = np.multiply(param, float(weight_decay))
            g = np.add(g, decay, out=decay)
    if isinstance(beta1, np.ndarray):                        # a tensor beta1 is cast to the parameter's dtype first
        scratch = _lerp_(exp_avg, g, 1 - param.dtype.type(beta1))
    else:
        scratch = _lerp_(exp_avg, g, 1 - beta1)              # m = lerp(m, g, 1 - beta1)
    exp_avg_sq *= float(beta2)                               # v = beta2 * v + (1 - beta2) * g * g
    sq = np.multiply(g, float(1 - beta2))
    sq *= g
    exp_avg_sq += sq

    bias_correction1 = 1 - _pow(beta1, step)
    bias_correction2 = 1 - _pow(beta2, step)
    step_size = _rdiv(lr, bias_correction1)
    bias_correction2_sqrt = _pow(bias_correction2, 0.5)
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    denom = np.sqrt(second, out=sq)                          # sqrt(v) / sqrt(1 - beta2^t) + eps
    denom /= float(bias_correction2_sqrt)
    denom += eps
    update = np.multiply(exp_avg, float(-step_size), out=scratch)   # theta += (-step_size * m) / denom
    update /= denom
    param += update
