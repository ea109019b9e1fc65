"""Instance normalization layers: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d``."""
import warnings

from ..._tensor import Tensor
from ...ops import normalization as _F
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def _get_no_batch_dim(self):
        raise NotImplementedError

    def _apply_instance_norm(self, input, unbatched=False):
        # Instance statistics in training, and in evaluation unless running statistics are tracked.
        return _F._instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                                 self.training or not self.track_running_stats,
                                 self.momentum if self.momentum is not None else 0.0, self.eps, unbatched)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            # Checkpoints from before 0.4.0 carried running statistics that instance norm no longer keeps.
            keys = [prefix + name for name in ("running_mean", "running_var") if prefix + name in state_dict]
            if keys:
                klass = type(self).__name__
                error_msgs.append(
                    "Unexpected running stats buffer(s) {names} for {klass} with track_running_stats=False. If "
                    "state_dict is a checkpoint saved before 0.4.0, this may be expected because {klass} does "
                    "not track running stats by default since 0.4.0. Please remove these keys from state_dict. "
                    "If the running stats are actually needed, instead set track_running_stats=True in {klass} "
                    "to enable them. See the documentation of {klass} for details.".format(
                        names=" and ".join(f'"{k}"' for k in keys), klass=klass))
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.dim() - self._get_no_batch_dim()
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        return self._apply_instance_norm(input, unbatched=input.dim() == self._get_no_batch_dim())


_IN_DOC = r"""Applies Instance Normalization over a {rank} input.

    .. math::
        y = \frac{{x - \mathrm{{E}}[x]}}{{\sqrt{{\mathrm{{Var}}[x] + \epsilon}}}} * \gamma + \beta

    The mean and (biased) standard deviation are computed per channel of each sample, over its spatial
    positions; :math:`\gamma` and :math:`\beta` (when ``affine``) are learnable vectors of size ``C``. With
    ``track_running_stats=True`` the running statistics (the batch average of the instance statistics, the
    variance unbiased) are kept in training with ``momentum`` and normalize in evaluation; otherwise the
    instance statistics are used in both modes.

    Args:
        num_features: ``C``, the number of channels.
        eps: added to the variance. Default: ``1e-5``.
        momentum: the running-average factor. Default: ``0.1``.
        affine: learnable :math:`\gamma`, :math:`\beta`. Default: ``False``.
        track_running_stats: keep running statistics. Default: ``False``.

    Shape:
        {shape}

    Example::

        >>> m = nn.{name}(100, affine=True)
        >>> y = m(numtorch.randn({example}))
    """


class InstanceNorm1d(_InstanceNorm):
    __doc__ = _IN_DOC.format(rank="2D (unbatched) or 3D (batched)", shape="``(N, C, L)`` or ``(C, L)``, output "
                             "the same.", name="InstanceNorm1d", example="20, 100, 40")

    def _get_no_batch_dim(self):
        return 2

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class InstanceNorm2d(_InstanceNorm):
    __doc__ = _IN_DOC.format(rank="3D (unbatched) or 4D (batched)", shape="``(N, C, H, W)`` or ``(C, H, W)``, "
                             "output the same.", name="InstanceNorm2d", example="20, 100, 35, 45")

    def _get_no_batch_dim(self):
        return 3

    def _check_input_dim(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"expected 3D or 4D input (got {input.dim()}D input)")


class InstanceNorm3d(_InstanceNorm):
    __doc__ = _IN_DOC.format(rank="4D (unbatched) or 5D (batched)", shape="``(N, C, D, H, W)`` or "
                             "``(C, D, H, W)``, output the same.", name="InstanceNorm3d",
                             example="20, 100, 35, 45, 10")

    def _get_no_batch_dim(self):
        return 4

    def _check_input_dim(self, input):
        if input.dim() not in (4, 5):
            raise ValueError(f"expected 4D or 5D input (got {input.dim()}D input)")
