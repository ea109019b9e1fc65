"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the single-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Parameters carry torch's names, shapes, order and initialisation, so a torch ``state_dict`` loads unchanged.
A module validates its input as torch does and then makes one call into :mod:`numtorch.ops.rnn`, where the
whole stack runs as one fused autograd node.
"""
import math
import numbers
import warnings

from ..._device import check_device
from ..._creation import empty
from ..._tensor import Tensor
from ...ops import rnn as _F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNBase(Module):
    """Base class of :class:`RNN`, :class:`LSTM` and :class:`GRU`: parameters, their names and checks.

    Per layer ``k`` and direction (suffix ``_reverse`` for the backward one) it holds ``weight_ih_l{k}``
    ``(G*hidden_size, in)``, ``weight_hh_l{k}`` ``(G*hidden_size, H_out)``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
    ``(G*hidden_size)`` and, for an LSTM with ``proj_size > 0``, ``weight_hr_l{k}`` ``(proj_size, hidden_size)``;
    ``G`` is 4 (LSTM), 3 (GRU) or 1 (RNN). All start as :math:`\\mathcal U(-\\sqrt k, \\sqrt k)`,
    :math:`k = 1/\\text{hidden\\_size}`.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _F._GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _F._GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih_l{}{}", (gate_size, layer_input_size)),
                          ("weight_hh_l{}{}", (gate_size, real_hidden_size))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                names = []
                for fmt, shape in shapes:
                    name = fmt.format(layer, suffix)
                    setattr(self, name, Parameter(empty(shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self._init_flat_weights()
        self.reset_parameters()

    # ------------------------------------------------------------------ flat weights (torch's bookkeeping)
    def _init_flat_weights(self):
        self._flat_weights = [getattr(self, wn) if hasattr(self, wn) else None for wn in self._flat_weights_names]

    def __setattr__(self, attr, value):
        names = self.__dict__.get("_flat_weights_names")
        if names is not None and attr in names and "_flat_weights" in self.__dict__:
            self._flat_weights[names.index(attr)] = value
        super().__setattr__(attr, value)

    def flatten_parameters(self):
        """Accepted for compatibility: only cuDNN needs flat weight buffers, so this does nothing."""

    def _apply(self, fn):
        ret = super()._apply(fn)
        self._init_flat_weights()
        return ret

    @property
    def all_weights(self):
        """The parameters as one list per layer and direction, in ``_flat_weights`` order."""
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    def reset_parameters(self):
        """Every weight and bias from :math:`\\mathcal U(-\\sqrt k, \\sqrt k)`, :math:`k = 1/\\text{hidden\\_size}`."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ------------------------------------------------------------------ torch's argument checks
    def check_input(self, input, batch_sizes):
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        width = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, width)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def _check_state_dtype(self, hx, name="hx"):
        w = self._flat_weights[0]
        if hx.dtype != w.dtype:
            raise RuntimeError(f"Expected {name} to have the same dtype as the weights ({w.dtype}), got "
                               f"{hx.dtype}")

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._init_flat_weights()

    # ------------------------------------------------------------------ the shared forward
    def _run(self, input, hx, cx):
        """Validate like torch, then run the stack; returns ``(output, h_n[, c_n])`` in the caller's layout."""
        mode = self.mode
        lstm = mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        num_directions = 2 if self.bidirectional else 1
        batched = True
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            bs = batch_sizes._data
            if hx is not None:
                self._check_states(data, hx, cx, bs)
            else:
                self.check_input(data, bs)
            x = data
            perm = None if sorted_indices is None else sorted_indices._data
            unperm = None if unsorted_indices is None else unsorted_indices._data
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{type(self).__name__}.forward(): input must be a Tensor or a PackedSequence, "
                                f"not {type(input).__name__}")
            if input.dim() not in (2, 3):
                what = "tensor instead" if mode.startswith("RNN") else "instead"
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D {what}")
            batched = input.dim() == 3
            if hx is not None:
                if lstm:
                    want = 3 if batched else 2
                    if hx.dim() != want or cx.dim() != want:
                        kind = "batched 3-D" if batched else "unbatched 2-D"
                        raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                           f"({hx.dim()}-D, {cx.dim()}-D) tensors")
                elif batched and hx.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
                elif not batched and hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D "
                                       "tensor")
            shape = tuple(input.shape)
            shape3 = shape if batched else ((1,) + shape if self.batch_first else (shape[0], 1, shape[1]))
            view = _Shape3(shape3, input.dtype)
            if hx is not None:
                self._check_states(view, hx, cx, None, unbatched=not batched)
            else:
                self.check_input(view, None)
            if shape3[1 if self.batch_first else 0] == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            x = input
            bs = perm = unperm = None
        return _F._rnn_stack(mode, x, hx, cx, self._flat_weights, self.bias, self.num_layers, self.dropout,
                             self.training, self.bidirectional, self.batch_first, self.hidden_size,
                             self.proj_size, batched, bs, perm, unperm)

    def _check_states(self, input, hx, cx, batch_sizes, unbatched=False):
        self.check_input(input, batch_sizes)
        expected = self.get_expected_hidden_size(input, batch_sizes)
        hshape = _Shape3((hx.shape[0], 1, hx.shape[1]) if unbatched else tuple(hx.shape), hx.dtype)
        if self.mode == "LSTM":
            cshape = _Shape3((cx.shape[0], 1, cx.shape[1]) if unbatched else tuple(cx.shape), cx.dtype)
            self.check_hidden_size(hshape, expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(cshape, expected[:2] + (self.hidden_size,), "Expected hidden[1] size {}, got {}")
            self._check_state_dtype(hx, "hx[0]")
            self._check_state_dtype(cx, "hx[1]")
        else:
            self.check_hidden_size(hshape, expected)
            self._check_state_dtype(hx)


class _Shape3:
    """A shape-only stand-in for an unsqueezed input or state in the checks (numtorch does not copy data)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    def dim(self):
        return len(self.shape)


class RNN(RNNBase):
    """Apply a multi-layer Elman RNN with :math:`\\tanh` or :math:`\\text{ReLU}` non-linearity to an input sequence.

    For each element in the input sequence, each layer computes

    .. math::
        h_t = \\tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})

    where :math:`x_t` is the input at time t (the previous layer's output, after dropout, for layers > 0) and
    :math:`h_{t-1}` the hidden state at t-1 (or ``h_0``). With ``nonlinearity='relu'``, ReLU replaces tanh.

    Args:
        input_size: The number of expected features in the input `x`
        hidden_size: The number of features in the hidden state `h`
        num_layers: Number of recurrent layers. Default: 1
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``
        bias: If ``False``, the layer does not use bias weights `b_ih` and `b_hh`. Default: ``True``
        batch_first: If ``True``, input and output are `(batch, seq, feature)`. Default: ``False``
        dropout: If non-zero, a Dropout layer on the outputs of each layer except the last. Default: 0
        bidirectional: If ``True``, becomes a bidirectional RNN. Default: ``False``

    Shape:
        - input: :math:`(L, H_{in})`, :math:`(L, N, H_{in})` or :math:`(N, L, H_{in})` (``batch_first``), or a
          :class:`~numtorch.nn.utils.rnn.PackedSequence`
        - h_0: :math:`(D \\cdot \\text{num\\_layers}, H_{out})` or :math:`(D \\cdot \\text{num\\_layers}, N, H_{out})`
        - output: :math:`(L, D \\cdot H_{out})`, :math:`(L, N, D \\cdot H_{out})` or :math:`(N, L, D \\cdot H_{out})`
        - h_n: like h_0, the final hidden state of every layer and direction

    Attributes:
        weight_ih_l[k], weight_hh_l[k], bias_ih_l[k], bias_hh_l[k]: all
            :math:`\\mathcal U(-\\sqrt k, \\sqrt k)`, :math:`k = 1/\\text{hidden\\_size}`

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(torch.randn(5, 3, 10), torch.randn(2, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"RNN.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        self.nonlinearity = nonlinearity
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)

    def forward(self, input, hx=None):
        """Returns ``(output, h_n)``; ``output`` is a PackedSequence when ``input`` is one."""
        out, h_n = self._run(input, hx, None)
        if isinstance(input, PackedSequence):
            return PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices), h_n
        return out, h_n


class LSTM(RNNBase):
    """Apply a multi-layer long short-term memory (LSTM) RNN to an input sequence.

    For each element in the input sequence, each layer computes

    .. math::
        \\begin{array}{ll}
            i_t = \\sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\\\
            f_t = \\sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\\\
            g_t = \\tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\\\
            o_t = \\sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\\\
            c_t = f_t \\odot c_{t-1} + i_t \\odot g_t \\\\
            h_t = o_t \\odot \\tanh(c_t)
        \\end{array}

    With ``proj_size > 0`` the hidden state is projected, :math:`h_t = W_{hr} (o_t \\odot \\tanh(c_t))`, and
    ``W_hi`` etc. take ``proj_size`` inputs. For layers > 0 the input :math:`x_t` is the previous layer's
    :math:`h_t` multiplied by a dropout mask (training only).

    Args:
        input_size: The number of expected features in the input `x`
        hidden_size: The number of features in the hidden state `h`
        num_layers: Number of recurrent layers. Default: 1
        bias: If ``False``, the layer does not use bias weights `b_ih` and `b_hh`. Default: ``True``
        batch_first: If ``True``, input and output are `(batch, seq, feature)`. Default: ``False``
        dropout: If non-zero, a Dropout layer on the outputs of each layer except the last. Default: 0
        bidirectional: If ``True``, becomes a bidirectional LSTM. Default: ``False``
        proj_size: If ``> 0``, use an LSTM with projections of this size. Default: 0

    Shape:
        - input: :math:`(L, H_{in})`, :math:`(L, N, H_{in})` or :math:`(N, L, H_{in})` (``batch_first``), or a
          PackedSequence
        - (h_0, c_0): :math:`(D \\cdot \\text{num\\_layers}, [N,] H_{out})` and
          :math:`(D \\cdot \\text{num\\_layers}, [N,] H_{cell})`, zeros when not given
        - output: :math:`(L, [N,] D \\cdot H_{out})` (batch first with ``batch_first``)
        - (h_n, c_n): like (h_0, c_0), the final states; :math:`H_{out}` = ``proj_size`` or ``hidden_size``

    Attributes:
        weight_ih_l[k]: `(W_ii|W_if|W_ig|W_io)`, `(4*hidden_size, input_size)` for k = 0
        weight_hh_l[k]: `(W_hi|W_hf|W_hg|W_ho)`, `(4*hidden_size, H_out)`
        bias_ih_l[k], bias_hh_l[k]: `(4*hidden_size)`
        weight_hr_l[k]: `(proj_size, hidden_size)`, only with ``proj_size > 0``
        All start as :math:`\\mathcal U(-\\sqrt k, \\sqrt k)`, :math:`k = 1/\\text{hidden\\_size}`.

    Example::

        >>> lstm = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
        >>> output, (hn, cn) = lstm(torch.randn(32, 5, 10))
        >>> output.shape
        numtorch.Size([32, 5, 20])
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def forward(self, input, hx=None):
        """Returns ``(output, (h_n, c_n))``; ``output`` is a PackedSequence when ``input`` is one."""
        h0 = c0 = None
        if hx is not None:
            if isinstance(hx, Tensor):   # torch would read hx[0] and hx[1]: report its dimension check
                want = 3 if isinstance(input, PackedSequence) or input.dim() == 3 else 2
                if hx.dim() - 1 != want:
                    kind = "batched 3-D" if want == 3 else "unbatched 2-D"
                    raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                       f"({hx.dim() - 1}-D, {hx.dim() - 1}-D) tensors")
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of Tensors, got a single Tensor")
            h0, c0 = hx
        out, h_n, c_n = self._run(input, h0, c0)
        if isinstance(input, PackedSequence):
            return PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices), (h_n, c_n)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Apply a multi-layer gated recurrent unit (GRU) RNN to an input sequence.

    For each element in the input sequence, each layer computes

    .. math::
        \\begin{array}{ll}
            r_t = \\sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{(t-1)} + b_{hr}) \\\\
            z_t = \\sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{(t-1)} + b_{hz}) \\\\
            n_t = \\tanh(W_{in} x_t + b_{in} + r_t \\odot (W_{hn} h_{(t-1)}+ b_{hn})) \\\\
            h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{(t-1)}
        \\end{array}

    (the reset gate multiplies :math:`W_{hn} h + b_{hn}`, after the matrix product, as in torch).

    Args:
        input_size: The number of expected features in the input `x`
        hidden_size: The number of features in the hidden state `h`
        num_layers: Number of recurrent layers. Default: 1
        bias: If ``False``, the layer does not use bias weights `b_ih` and `b_hh`. Default: ``True``
        batch_first: If ``True``, input and output are `(batch, seq, feature)`. Default: ``False``
        dropout: If non-zero, a Dropout layer on the outputs of each layer except the last. Default: 0
        bidirectional: If ``True``, becomes a bidirectional GRU. Default: ``False``

    Shape:
        - input: :math:`(L, H_{in})`, :math:`(L, N, H_{in})` or :math:`(N, L, H_{in})`, or a PackedSequence
        - h_0: :math:`(D \\cdot \\text{num\\_layers}, [N,] H_{out})`, zeros when not given
        - output: :math:`(L, [N,] D \\cdot H_{out})` (batch first with ``batch_first``)
        - h_n: like h_0

    Attributes:
        weight_ih_l[k]: `(W_ir|W_iz|W_in)`, `(3*hidden_size, input_size)` for k = 0
        weight_hh_l[k]: `(W_hr|W_hz|W_hn)`, `(3*hidden_size, hidden_size)`
        bias_ih_l[k], bias_hh_l[k]: `(3*hidden_size)`
        All start as :math:`\\mathcal U(-\\sqrt k, \\sqrt k)`, :math:`k = 1/\\text{hidden\\_size}`.

    Example::

        >>> gru = nn.GRU(10, 20, 2)
        >>> output, hn = gru(torch.randn(5, 3, 10), torch.randn(2, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"GRU.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)

    def forward(self, input, hx=None):
        """Returns ``(output, h_n)``; ``output`` is a PackedSequence when ``input`` is one."""
        out, h_n = self._run(input, hx, None)
        if isinstance(input, PackedSequence):
            return PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices), h_n
        return out, h_n


# ---------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Base class of the single-step cells: ``weight_ih`` ``(G*hidden, input)``, ``weight_hh`` ``(G*hidden,
    hidden)``, ``bias_ih``, ``bias_hh`` ``(G*hidden)``, all :math:`\\mathcal U(-\\sqrt k, \\sqrt k)`,
    :math:`k = 1/\\text{hidden\\_size}`."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        """Every weight and bias from :math:`\\mathcal U(-\\sqrt k, \\sqrt k)`, :math:`k = 1/\\text{hidden\\_size}`."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check_dims(self, input, hx, what):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    label = "hidden" if what is None else f"hx[{idx}]"
                    raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {value.dim()}D instead")


class RNNCell(RNNCellBase):
    """An Elman RNN cell with tanh or ReLU non-linearity.

    .. math::
        h' = \\tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})

    (ReLU in place of tanh with ``nonlinearity='relu'``).

    Args:
        input_size: The number of expected features in the input `x`
        hidden_size: The number of features in the hidden state `h`
        bias: If ``False``, the layer does not use bias weights `b_ih` and `b_hh`. Default: ``True``
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``

    Shape:
        - input: :math:`(N, H_{in})` or :math:`(H_{in})`; hidden: :math:`(N, H_{out})` or :math:`(H_{out})`,
          zeros when not given
        - output: :math:`(N, H_{out})` or :math:`(H_{out})`, the next hidden state

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> hx = cell(torch.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check_dims(input, None if hx is None else (hx,), None)
        if self.nonlinearity == "tanh":
            fn = _F.rnn_tanh_cell
        elif self.nonlinearity == "relu":
            fn = _F.rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return fn(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    """A long short-term memory (LSTM) cell.

    .. math::
        \\begin{array}{ll}
        i = \\sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) \\\\
        f = \\sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\\\
        g = \\tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) \\\\
        o = \\sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\\\
        c' = f \\odot c + i \\odot g \\\\
        h' = o \\odot \\tanh(c') \\\\
        \\end{array}

    Args:
        input_size: The number of expected features in the input `x`
        hidden_size: The number of features in the hidden state `h`
        bias: If ``False``, the layer does not use bias weights `b_ih` and `b_hh`. Default: ``True``

    Shape:
        - input: :math:`(N, H_{in})` or :math:`(H_{in})`; (h_0, c_0): :math:`(N, H_{out})` or :math:`(H_{out})`
          each, zeros when not given
        - output: (h_1, c_1), the next hidden and cell state

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> hx, cx = cell(torch.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        self._check_dims(input, hx, "hx")
        return _F.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    """A gated recurrent unit (GRU) cell.

    .. math::
        \\begin{array}{ll}
        r = \\sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\\\
        z = \\sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\\\
        n = \\tanh(W_{in} x + b_{in} + r \\odot (W_{hn} h + b_{hn})) \\\\
        h' = (1 - z) \\odot n + z \\odot h
        \\end{array}

    Args:
        input_size: The number of expected features in the input `x`
        hidden_size: The number of features in the hidden state `h`
        bias: If ``False``, the layer does not use bias weights `b_ih` and `b_hh`. Default: ``True``

    Shape:
        - input: :math:`(N, H_{in})` or :math:`(H_{in})`; hidden: :math:`(N, H_{out})` or :math:`(H_{out})`,
          zeros when not given
        - output: :math:`(N, H_{out})` or :math:`(H_{out})`

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> hx = cell(torch.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        self._check_dims(input, None if hx is None else (hx,), None)
        return _F.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
