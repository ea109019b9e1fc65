"""AdamW: Adam with decoupled weight decay (torch.optim.AdamW)."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as torch.optim.AdamW.

    .. math::
        \theta_{t-1} &\leftarrow \theta_{t-1}(1 - \gamma\lambda) \\
        m_t &= \operatorname{lerp}(m_{t-1}, g_t, 1 - \beta_1), \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \cdot
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    with :math:`\hat v_t = \max(\hat v_{t-1}, v_t)` under ``amsgrad``, else :math:`v_t`.

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs, or dicts defining parameter groups.
        lr (float or Tensor): learning rate :math:`\gamma`. Default: ``1e-3``.
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`. Default: ``(0.9, 0.999)``.
        eps (float): :math:`\epsilon`. Default: ``1e-8``.
        weight_decay (float): decoupled decay :math:`\lambda`. Default: ``1e-2``.
        amsgrad (bool): use the running maximum of :math:`v_t`. Default: ``False``.
        maximize (bool): maximize the objective. Default: ``False``.
        foreach, capturable, differentiable, fused: as for :class:`Adam`.

    State (per parameter): ``'step'``, ``'exp_avg'``, ``'exp_avg_sq'``, ``'max_exp_avg_sq'`` (amsgrad).

    Example::

        >>> opt = numtorch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True     # loading any state into AdamW keeps it AdamW
