"""RMSprop: divide the gradient by a running root mean square (torch.optim.RMSprop)."""
import numpy as np

from .._tensor import _from_array
from .optimizer import (Optimizer, _check_capturable, _check_one_element, _lerp_, _num, _real,
                        _use_grad_for_differentiable, _zero_step)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as torch.optim.RMSprop (optionally centered, with momentum and weight decay).

    .. math::
        g_t &= \pm\nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1} \\
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2 \\
        \bar g_t &= \operatorname{lerp}(\bar g_{t-1}, g_t, 1-\alpha), \qquad
        \tilde v_t = v_t - \bar g_t^2 \ \text{(centered) else}\ v_t \\
        b_t &= \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \qquad \theta_t = \theta_{t-1} - \gamma b_t
            \ (\mu > 0) \\
        \theta_t &= \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon) \ (\mu = 0)

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``1e-2``.
        alpha (float): smoothing constant :math:`\alpha`. Default: ``0.99``.
        eps (float): :math:`\epsilon`. Default: ``1e-8``.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: ``0``.
        momentum (float): momentum factor :math:`\mu`. Default: ``0``.
        centered (bool): normalise by the estimated variance of the gradient. Default: ``False``.
        capturable (bool): torch's flag; ``True`` raises torch's CPU error at ``step``. Default: ``False``.
        foreach, differentiable: accepted for compatibility with torch.
        maximize (bool): maximize the objective. Default: ``False``.

    State (per parameter): ``'step'``, ``'square_avg'``, ``'momentum_buffer'`` (momentum > 0),
    ``'grad_avg'`` (centered).

    Example::

        >>> opt = numtorch.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.9)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_one_element(lr, "lr")
        if not 0.0 <= _num(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        self._setstate_steps()

    def _init_state(self, group, p):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _zero_step()
            state["square_avg"] = _from_array(np.zeros_like(p._data))
            if group["momentum"] > 0:
                state["momentum_buffer"] = _from_array(np.zeros_like(p._data))
            if group["centered"]:
                state["grad_avg"] = _from_array(np.zeros_like(p._data))
        return state

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one RMSprop step (see the class formula); returns ``closure()``'s loss when given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            states = [self._init_state(group, p) for p in params]
            if params and group["capturable"]:
                _check_capturable()
            momentum, centered = group["momentum"], group["centered"]
            for p, state in zip(params, states):
                state["step"]._data += 1
                _rmsprop_update(_real(p._data), _real(p.grad._data), _real(state["square_avg"]._data),
                                _real(state["grad_avg"]._data) if centered else None,
                                _real(state["momentum_buffer"]._data) if momentum > 0 else None,
                                lr=_num(group["lr"]), alpha=group["alpha"], eps=group["eps"],
                                weight_decay=group["weight_decay"], momentum=momentum, maximize=group["maximize"])
                p._vc[0] += 1
        return loss


def _rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, *, lr, alpha, eps, weight_decay, momentum,
                    maximize):
    """One RMSprop step on arrays, in place, in torch's single-tensor order (``grad`` is never written)."""
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:                                    # g + lambda * theta
        decay = np.multiply(param, float(weight_decay))
        g = np.add(g, decay, out=decay)
    square_avg *= alpha                                      # v = alpha * v + (1 - alpha) * g * g
    sq = np.multiply(g, 1 - alpha)
    sq *= g
    square_avg += sq
    if grad_avg is not None:                                 # centered: sqrt(v - gbar^2)
        _lerp_(grad_avg, g, 1 - alpha)
        avg = np.multiply(grad_avg, -1.0, out=sq)
        avg *= grad_avg
        avg += square_avg
        np.sqrt(avg, out=avg)
    else:
        avg = np.sqrt(square_avg, out=sq)
    avg += eps
    if momentum > 0:                                         # b = mu * b + g / avg;  theta -= lr * b
        momentum_buffer *= momentum
        momentum_buffer += np.divide(g, avg, out=avg)
        param += np.multiply(momentum_buffer, float(-lr), out=avg)
    else:                                                    # theta += (-lr * g) / avg
        update = np.multiply(g, float(-lr))
        update /= avg
        param += update
