"""Batch normalization layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``, and their common base."""
from ... import _creation
from ..._dtype import int64
from ..._tensor import Tensor
from ...ops import normalization as _F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """State shared by batch and instance norm: ``weight``/``bias`` (when ``affine``) and the running buffers
    ``running_mean``, ``running_var`` and ``num_batches_tracked`` (when ``track_running_stats``).

    ``_version = 2``: checkpoints from before ``num_batches_tracked`` existed load with the current value.
    """

    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = Parameter(_creation.empty(num_features, **factory))
            if bias:
                self.bias = Parameter(_creation.empty(num_features, **factory))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, **factory))
            self.register_buffer("running_var", _creation.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked", _creation.tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean to 0, running variance to 1, ``num_batches_tracked`` to 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, and ``weight`` to 1 and ``bias`` to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            # Version 2 added num_batches_tracked: an older checkpoint keeps the module's current count.
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                                   else _creation.tensor(0, dtype=int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:                          # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        # Batch statistics in training, and in evaluation when there are no running statistics.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return _F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                             self.weight, self.bias, use_batch, factor, self.eps)


_BN_DOC = r"""Applies Batch Normalization over a {rank} input.

    .. math::
        y = \frac{{x - \mathrm{{E}}[x]}}{{\sqrt{{\mathrm{{Var}}[x] + \epsilon}}}} * \gamma + \beta

    The mean and standard deviation are computed per channel over the mini-batch{over}; :math:`\gamma` and
    :math:`\beta` are learnable vectors of size ``C`` (initialised to 1 and 0). In training the variance is the
    biased estimator, while the running variance is updated with the unbiased one:
    :math:`\hat{{x}}_\text{{new}} = (1 - \text{{momentum}}) \hat{{x}} + \text{{momentum}}\, x_t`
    (``momentum=None``: a cumulative average, :math:`1 / \text{{num\_batches\_tracked}}`). In evaluation the running
    statistics normalize; with ``track_running_stats=False`` the batch statistics are used in both modes.

    Args:
        num_features: ``C``, the number of channels.
        eps: added to the variance. Default: ``1e-5``.
        momentum: the running-average factor, or ``None`` for a cumulative average. Default: ``0.1``.
        affine: learnable :math:`\gamma`, :math:`\beta`. Default: ``True``.
        track_running_stats: keep ``running_mean``, ``running_var`` and ``num_batches_tracked``.
            Default: ``True``.
        bias: learnable :math:`\beta` (keyword only). Default: ``True``.

    Shape:
        {shape}

    Attributes:
        weight: ``(C,)``, ones. bias: ``(C,)``, zeros.
        running_mean: ``(C,)``, zeros. running_var: ``(C,)``, ones. num_batches_tracked: 0-d int64.

    Example::

        >>> m = nn.{name}(100)
        >>> y = m(numtorch.randn({example}))
    """


class BatchNorm1d(_BatchNorm):
    __doc__ = _BN_DOC.format(rank="2D or 3D", over="", shape="``(N, C)`` or ``(N, C, L)``, output the same.",
                             name="BatchNorm1d", example="20, 100")

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    __doc__ = _BN_DOC.format(rank="4D", over=" and the spatial positions",
                             shape="``(N, C, H, W)``, output the same.", name="BatchNorm2d",
                             example="20, 100, 35, 45")

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    __doc__ = _BN_DOC.format(rank="5D", over=" and the spatial positions",
                             shape="``(N, C, D, H, W)``, output the same.", name="BatchNorm3d",
                             example="20, 100, 35, 45, 10")

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")
