"""Recurrent layers as fused kernels: Elman RNN (tanh/ReLU), LSTM (optionally with projections) and GRU.

How a whole recurrent stack runs:

* Every sequence batch is laid out **time-major and packed**, as a 2-D array of rows: the rows of step ``t``
  are ``X[off[t] : off[t] + bs[t]]``, where ``bs[t]`` is how many sequences are still running at step ``t``
  (non-increasing). A padded ``(T, B, F)`` input is the special case ``bs[t] = B``; a
  :class:`~numtorch.nn.utils.rnn.PackedSequence` already *is* this layout. One code path serves both.
* Per layer and direction, the input projection of all time steps is **one GEMM**
  (``X @ W_ih^T + b``, the biases riding on a column of ones appended to ``X``); each time step is then one
  fused cell update (all gates at once from one product ``h @ W_hh^T``, which for wide layers is issued as
  narrow column blocks that BLAS runs faster); the gates are written straight into preallocated arrays that
  backward reuses.
* The whole stack (every layer, both directions, dropout between layers, packing and batch-first layout) is
  **one** autograd node: :class:`RNNStackFunction`. Its backward runs backpropagation through time as a loop
  over raw arrays, accumulating the gate gradients of every step in one preallocated array, and finishes with
  one GEMM each for the weight and input gradients. No per-step autograd nodes and no recursion, so a
  10,000-step sequence costs 10,000 cheap loop iterations forward and backward.
* Sigmoids use the stable form :math:`\\sigma(x) = \\tfrac12\\tanh(\\tfrac x2) + \\tfrac12`. The factor
  :math:`\\tfrac12` is folded into the weights' gate rows before the loop (scaling by a power of two is exact),
  so one ``tanh`` over the whole gate block evaluates every gate of a step.

Gate layouts are torch's: LSTM rows ``i, f, g, o``; GRU rows ``r, z, n`` with the reset gate applied to
``(W_hn h + b_hn)``.
"""
import numpy as np

from ..autograd.function import ArrayFunction
from ..random import _gen

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = list(__all__)

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# ---------------------------------------------------------------------- the row schedule of a batch
class _Schedule:
    """Which rows of the time-major 2-D layout each time step owns.

    ``steps[t] = (lo, hi)``: the rows of step ``t``; ``hi - lo = bs[t]``, non-increasing in ``t``.
    """

    __slots__ = ("T", "B", "N", "bs", "off", "steps", "dense", "_last", "_prev")

    def __init__(self, bs, dense):
        bs = np.asarray(bs, dtype=np.int64)
        self.T = len(bs)
        self.B = int(bs[0]) if self.T else 0
        off = np.zeros(self.T + 1, dtype=np.int64)
        np.cumsum(bs, out=off[1:])
        self.N = int(off[-1])
        self.bs = bs
        self.off = off
        self.steps = list(zip(off[:-1].tolist(), off[1:].tolist()))
        self.dense = dense
        self._last = None
        self._prev = {}

    def last_rows(self):
        """Rows holding each sequence's last step (a slice for a dense batch, else an index array)."""
        if self.dense:
            return slice(self.N - self.B, self.N)
        if self._last is None:
            j = np.arange(self.B)
            length = np.searchsorted(-self.bs, -j, side="left")   # sequence j runs for bs > j steps
            self._last = self.off[length - 1] + j
        return self._last

    def prev_rows(self, reverse):
        """For every row, the row of ``concat(Y, h0)`` that holds the state entering that step."""
        idx = self._prev.get(reverse)
        if idx is None:
            t = np.repeat(np.arange(self.T), self.bs)
            j = np.arange(self.N) - self.off[t]
            if not reverse:
                idx = np.where(t > 0, self.off[np.maximum(t - 1, 0)] + j, self.N + j)
            else:
                nxt = np.minimum(t + 1, self.T - 1)
                inside = (t < self.T - 1) & (j < self.bs[nxt])
                idx = np.where(inside, self.off[nxt] + j, self.N + j)
            self._prev[reverse] = idx
        return idx


_DENSE = {}


def _dense_schedule(T, B):
    s = _DENSE.get((T, B))
    if s is None:
        if len(_DENSE) > 64:
            _DENSE.clear()
        s = _DENSE[(T, B)] = _Schedule(np.full(T, B, dtype=np.int64), True)
    return s


def _states_entering(Y, h0, sched, reverse):
    """The state each row's step starts from: ``Y`` of the step before (in the direction of travel) or h0."""
    B, N = sched.B, sched.N
    if sched.dense:
        return np.concatenate((Y[B:], h0)) if reverse else np.concatenate((h0, Y[:N - B]))
    return np.concatenate((Y, h0))[sched.prev_rows(reverse)]


_BLOCK = 64


def _column_blocks(WT):
    """``W^T`` split into contiguous 64-column blocks, or ``None`` when it is small.

    A time step's GEMM has few rows (the batch); OpenBLAS runs it markedly faster as several products with
    narrow, contiguous weight blocks (written into column slices of the output) than as one wide product.
    """
    K, N = WT.shape
    if K < 128 or N < 4 * _BLOCK:
        return None
    edges = list(range(0, N, _BLOCK)) + [N]
    return [(a, b, np.ascontiguousarray(WT[:, a:b])) for a, b in zip(edges[:-1], edges[1:])]


def _step_matmul(h, WT, blocks, out):
    """``out = h @ WT`` (by column blocks when ``blocks`` is given)."""
    if blocks is None:
        np.matmul(h, WT, out=out)
    else:
        for a, b, w in blocks:
            np.matmul(h, w, out=out[:, a:b])


def _input_rows(src, N, F, ones):
    """The layer input as a 2-D ``(N, F)`` array of rows, with a column of ones appended when ``ones``.

    The ones column lets the input GEMM add the biases itself (:func:`_input_projection`), which is cheaper
    than a separate pass over the ``(N, gates)`` result.
    """
    if not ones:
        return src.reshape(N, F)
    Xe = np.empty(src.shape[:-1] + (F + 1,), src.dtype)
    Xe[..., :F] = src
    Xe[..., F] = 1
    return Xe.reshape(N, F + 1)


def _input_weight(w_ih, bias, scale):
    """:math:`[W_{ih} \mid b] \cdot \text{scale}` (rows scaled; the bias column only when ``bias`` is given), the
    matrix that multiplies an input row with its trailing column of ones."""
    if bias is None:
        return w_ih if scale is None else w_ih * scale[:, None]
    K = w_ih.shape[1]
    Wa = np.empty((w_ih.shape[0], K + 1), w_ih.dtype)
    if scale is None:
        Wa[:, :K] = w_ih
        Wa[:, K] = bias
    else:
        np.multiply(w_ih, scale[:, None], out=Wa[:, :K])
        np.multiply(bias, scale, out=Wa[:, K])
    return Wa


def _input_projection(X, w_ih, bias, scale):
    """:math:`(X W_{ih}^T + b) \cdot \text{scale}` for every row at once: one GEMM per layer and direction.

    ``X`` carries a trailing column of ones exactly when ``bias`` is given.
    """
    return np.matmul(X, _input_weight(w_ih, bias, scale).T)


_SCALES = {}


def _gate_scale(mode, H, dtype):
    """Per-gate-row ``(scale, shift)``: ``act(z) = tanh(scale*z)*scale + shift`` (sigmoid: 1/2, 1/2)."""
    key = (mode, H, dtype)
    r = _SCALES.get(key)
    if r is None:
        if mode == "LSTM":
            s = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype), H)
            shift = np.repeat(np.array([0.5, 0.5, 0.0, 0.5], dtype=dtype), H)
        else:  # GRU: r and z are sigmoids, n is a tanh
            s = np.repeat(np.array([0.5, 0.5, 1.0], dtype=dtype), H)
            shift = np.repeat(np.array([0.5, 0.5, 0.0], dtype=dtype), H)
        r = _SCALES[key] = (s, shift)
    return r


# ---------------------------------------------------------------------- LSTM: one layer, one direction
def _lstm_forward(X, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, sched, reverse, Yd, keep):
    """Run one LSTM direction over the schedule, writing h_t into ``Yd``.

    .. math::
        (i, f, g, o) = (\\sigma, \\sigma, \\tanh, \\sigma)(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}),\\quad
        c_t = f \\odot c_{t-1} + i \\odot g,\\quad h_t = o \\odot \\tanh(c_t)\\ \\ [\\cdot W_{hr}^T]

    Returns ``(saved, h_n, c_n)``; ``saved`` holds the gate activations, c_t, tanh(c_t) (and the
    unprojected h_t) for backward when ``keep``.
    """
    dt = X.dtype
    H = w_hh.shape[0] // 4
    H2, H3 = 2 * H, 3 * H
    s, shift = _gate_scale("LSTM", H, dt)
    WhrT = None if w_hr is None else np.ascontiguousarray(w_hr.T)
    N, B = sched.N, sched.B
    if not keep and sched.dense:
        cstate = c0.copy()
        _lstm_infer_dense(X, w_ih, w_hh, b_ih, b_hh, WhrT, h0, cstate, s, shift, sched, reverse, Yd)
        return None, Yd[slice(0, B) if reverse else sched.last_rows()], cstate
    XW = _input_projection(X, w_ih, None if b_ih is None else b_ih + b_hh, s)
    # C-contiguous W^T: OpenBLAS runs the small-batch GEMM h @ W^T markedly faster than on a transposed view.
    WhhT = np.multiply(w_hh.T, s, order="C")
    blocks = _column_blocks(WhhT)
    if keep:
        G = np.empty((N, 4 * H), dt)
        C = np.empty((N, H), dt)
        TC = np.empty((N, H), dt)
        M = np.empty((N, H), dt) if w_hr is not None else None
    else:
        zbuf = np.empty((B, 4 * H), dt)
        cstate = c0.copy()          # updated in place: rows that have stopped keep their final value
        tcbuf = np.empty((B, H), dt)
        mbuf = np.empty((B, H), dt) if w_hr is not None else None
    igbuf = np.empty((B, H), dt)
    h, c = h0, c0
    for lo, hi in (reversed(sched.steps) if reverse else sched.steps):
        b = hi - lo
        nb = h.shape[0]
        if b != nb:
            if b < nb:
                h = h[:b]
                c = c[:b]
            else:  # reverse direction of a packed batch: sequences that start here begin from h0, c0
                h = np.concatenate((h, h0[nb:b]))
                c = np.concatenate((c, c0[nb:b])) if keep else c
        if keep:
            z = G[lo:hi]
            cn = C[lo:hi]
            tc = TC[lo:hi]
        else:
            z = zbuf[:b]
            c = cn = cstate[:b]
            tc = tcbuf[:b]
        _step_matmul(h, WhhT, blocks, z)
        z += XW[lo:hi]
        np.tanh(z, out=z)
        z *= s
        z += shift                                  # z = [i, f, g, o]
        np.multiply(z[:, H:H2], c, out=cn)          # c_t = f * c_{t-1}
        cn += np.multiply(z[:, :H], z[:, H2:H3], out=igbuf[:b])   # ... + i * g
        np.tanh(cn, out=tc)
        hn = Yd[lo:hi]
        if WhrT is None:
            np.multiply(z[:, H3:], tc, out=hn)      # h_t = o * tanh(c_t)
        else:
            m = M[lo:hi] if keep else mbuf[:b]
            np.multiply(z[:, H3:], tc, out=m)
            np.matmul(m, WhrT, out=hn)              # h_t = (o * tanh(c_t)) W_hr^T
        h, c = hn, cn
    rows = slice(0, B) if reverse else sched.last_rows()
    h_n = Yd[rows]
    c_n = C[rows] if keep else cstate
    return ((G, C, TC, M) if keep else None), h_n, c_n


def _lstm_infer_dense(X, w_ih, w_hh, b_ih, b_hh, WhrT, h0, c, s, shift, sched, reverse, Yd):
    """The same recurrence as :func:`_lstm_forward` for a no-grad pass over a padded batch, column-major.

    Every step has the whole batch, so the state buffers and their gate views are fixed. The gates are kept
    column-major, ``z^T = W_hh h^T + (W_ih X^T)[:, t]``: OpenBLAS runs this short, wide product fastest in that
    form (about 1.6x the row-major one on a (32, 256) x (256, 1024) step), and each gate is a contiguous block.
    ``c`` (B, H) is updated in place.
    """
    T, B = sched.T, sched.B
    dt = X.dtype
    H = c.shape[1]
    Wa = _input_weight(w_ih, None if b_ih is None else b_ih + b_hh, s)
    XWT = np.matmul(Wa, X.T)                        # (4H, T*B): column t*B + b is step t, sample b
    WF = np.multiply(w_hh, s[:, None]).T            # (Hout, 4H) column-major
    z = np.empty((B, 4 * H), dt, order="F")
    cF = np.asfortranarray(c)
    tc = np.empty((B, H), dt, order="F")
    ig = np.empty((B, H), dt, order="F")
    m = None if WhrT is None else np.empty((B, H), dt, order="F")
    zi, zf, zg, zo = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
    Y3 = Yd.reshape(T, B, Yd.shape[1])
    h = h0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        hn = Y3[t]
        np.matmul(h, WF, out=z)
        z += XWT[:, t * B:(t + 1) * B].T
        np.tanh(z, out=z)
        z *= s
        z += shift                          # [i, f, g, o]
        np.multiply(zf, cF, out=cF)
        cF += np.multiply(zi, zg, out=ig)   # c_t = f c_{t-1} + i g
        np.tanh(cF, out=tc)
        if WhrT is None:
            np.multiply(zo, tc, out=hn)     # h_t = o tanh(c_t)
        else:
            np.multiply(zo, tc, out=m)
            np.matmul(m, WhrT, out=hn)
        h = hn
    c[...] = cF


def _lstm_backward(dYd, dh_n, dc_n, X, w_ih, w_hh, w_hr, h0, c0, Yd, saved, sched, reverse, need_dx):
    """Backpropagation through time for one LSTM direction: returns ``(dX, dW_ih, dW_hh, db, dW_hr, dh0, dc0)``.

    Going backwards through the steps, with :math:`\\bar h_t` the gradient reaching h_t:

    .. math::
        \\bar m = \\bar h_t [W_{hr}],\\quad \\bar c_t \\mathrel{+}= \\bar m \\odot o (1 - \\tanh^2 c_t),\\quad
        \\bar z = (\\bar c_t g\\, i(1-i),\\ \\bar c_t c_{t-1} f(1-f),\\ \\bar c_t i (1-g^2),\\
                    \\bar m \\tanh(c_t)\\, o(1-o)),\\quad
        \\bar c_{t-1} = \\bar c_t f,\\quad \\bar h_{t-1} = \\bar z W_{hh}
    """
    G, C, TC, M = saved
    dt = G.dtype
    N, B = sched.N, sched.B
    H = w_hh.shape[0] // 4
    Hout = w_hh.shape[1]
    i, f, g, o = G[:, :H], G[:, H:2 * H], G[:, 2 * H:3 * H], G[:, 3 * H:]
    Cp = _states_entering(C, c0, sched, reverse)
    # Step-independent factors of the gate gradients, for all rows at once.
    P = np.empty((N, 3, H), dt)
    t1 = np.subtract(1, i)
    t1 *= i
    np.multiply(t1, g, out=P[:, 0])          # dz_i / dc = g i (1 - i)
    np.subtract(1, f, out=t1)
    t1 *= f
    np.multiply(t1, Cp, out=P[:, 1])         # dz_f / dc = c_{t-1} f (1 - f)
    np.multiply(g, g, out=t1)
    np.subtract(1, t1, out=t1)
    np.multiply(t1, i, out=P[:, 2])          # dz_g / dc = i (1 - g^2)
    R = np.subtract(1, o)
    R *= o
    R *= TC                                  # dz_o / dm = tanh(c) o (1 - o)
    OT = np.multiply(TC, TC)
    np.subtract(1, OT, out=OT)
    OT *= o                                  # dc / dm = o (1 - tanh^2 c)
    del t1

    dh = np.zeros((B, Hout), dt) if dh_n is None else dh_n.copy()
    dc = np.zeros((B, H), dt) if dc_n is None else dc_n.copy()
    dG = np.empty((N, 4 * H), dt)
    dG3 = dG.reshape(N, 4, H)
    tmp = np.empty((B, H), dt)
    if w_hr is not None:
        DH = np.empty((N, Hout), dt)
        dmbuf = np.empty((B, H), dt)
    for lo, hi in (sched.steps if reverse else reversed(sched.steps)):
        b = hi - lo
        dhb = dh[:b]
        if dYd is not None:
            dhb += dYd[lo:hi]
        if w_hr is None:
            dm = dhb
        else:
            DH[lo:hi] = dhb
            dm = np.matmul(dhb, w_hr, out=dmbuf[:b])
        dcb = dc[:b]
        dcb += np.multiply(dm, OT[lo:hi], out=tmp[:b])
        np.multiply(dcb[:, None, :], P[lo:hi], out=dG3[lo:hi, :3])
        np.multiply(dm, R[lo:hi], out=dG3[lo:hi, 3])
        dcb *= f[lo:hi]                       # dc_{t-1}
        np.matmul(dG[lo:hi], w_hh, out=dhb)   # dh_{t-1}
    Hp = _states_entering(Yd, h0, sched, reverse)
    dGT = dG.T
    dW_ih = np.matmul(dGT, X)
    dW_hh = np.matmul(dGT, Hp)
    db = dG.sum(0)
    dW_hr = None if w_hr is None else np.matmul(DH.T, M)
    dX = np.matmul(dG, w_ih) if need_dx else None
    return dX, dW_ih, dW_hh, db, db, dW_hr, dh, dc


# ---------------------------------------------------------------------- GRU: one layer, one direction
def _gru_forward(X, w_ih, w_hh, b_ih, b_hh, h0, sched, reverse, Yd, keep):
    """Run one GRU direction over the schedule, writing h_t into ``Yd``.

    .. math::
        r = \\sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}),\\quad
        z = \\sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}),\\\\
        n = \\tanh(W_{in} x + b_{in} + r \\odot (W_{hn} h + b_{hn})),\\quad h' = (1 - z) \\odot n + z \\odot h
    """
    dt = X.dtype
    H = w_hh.shape[1]
    H2 = 2 * H
    s, _ = _gate_scale("GRU", H, dt)
    if b_ih is not None:
        bx = b_ih.copy()
        bx[:H2] += b_hh[:H2]                  # r and z take both biases outside the recurrence
        b_hn = b_hh[H2:]
    else:
        bx = None
        b_hn = np.zeros(H, dt)
    XW = _input_projection(X, w_ih, bx, s)
    WhhT = np.multiply(w_hh.T, s, order="C")
    blocks = _column_blocks(WhhT)
    N, B = sched.N, sched.B
    if keep:
        G = np.empty((N, 3 * H), dt)          # r, z, n
        HN = np.empty((N, H), dt)             # W_hn h + b_hn
    else:
        zbuf = np.empty((B, 3 * H), dt)
        hnbuf = np.empty((B, H), dt)
    hh = np.empty((B, 3 * H), dt)
    h = h0
    for lo, hi in (reversed(sched.steps) if reverse else sched.steps):
        b = hi - lo
        nb = h.shape[0]
        if b != nb:
            h = h[:b] if b < nb else np.concatenate((h, h0[nb:b]))
        z3 = G[lo:hi] if keep else zbuf[:b]
        hn = HN[lo:hi] if keep else hnbuf[:b]
        hhb = hh[:b]
        _step_matmul(h, WhhT, blocks, hhb)
        rz = z3[:, :H2]
        np.add(XW[lo:hi, :H2], hhb[:, :H2], out=rz)
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5                               # r, z
        np.add(hhb[:, H2:], b_hn, out=hn)       # W_hn h + b_hn
        n = z3[:, H2:]
        np.multiply(rz[:, :H], hn, out=n)
        n += XW[lo:hi, H2:]
        np.tanh(n, out=n)                       # n = tanh(W_in x + b_in + r (W_hn h + b_hn))
        hnew = Yd[lo:hi]
        np.subtract(h, n, out=hnew)
        hnew *= rz[:, H:]
        hnew += n                               # h' = n + z (h - n)
        h = hnew
    rows = slice(0, B) if reverse else sched.last_rows()
    return ((G, HN) if keep else None), Yd[rows]


def _gru_backward(dYd, dh_n, X, w_ih, w_hh, h0, Yd, saved, sched, reverse, need_dx):
    """Backpropagation through time for one GRU direction: ``(dX, dW_ih, dW_hh, db_ih, db_hh, dh0)``.

    With :math:`\\bar h` the gradient reaching h' and :math:`a = W_{hn} h + b_{hn}`:

    .. math::
        \\bar z_n = \\bar h (1-z)(1-n^2),\\quad \\bar z_r = \\bar z_n a\\, r(1-r),\\quad
        \\bar z_z = \\bar h (h - n) z(1-z),\\quad
        \\bar h_{prev} = \\bar h z + (\\bar z_r, \\bar z_z, r \\bar z_n) W_{hh}
    """
    G, HN = saved
    dt = G.dtype
    N, B = sched.N, sched.B
    H = w_hh.shape[1]
    r, z, n = G[:, :H], G[:, H:2 * H], G[:, 2 * H:]
    Hp = _states_entering(Yd, h0, sched, reverse)
    PX = np.empty((N, 3, H), dt)             # d(z_r, z_z, z_n) / d h' for the input projection
    t1 = np.subtract(1, z)
    Pn = PX[:, 2]
    np.multiply(n, n, out=Pn)
    np.subtract(1, Pn, out=Pn)
    Pn *= t1                                 # (1 - z)(1 - n^2)
    Pr = PX[:, 0]
    np.subtract(1, r, out=Pr)
    Pr *= r
    Pr *= HN
    Pr *= Pn                                 # (1 - z)(1 - n^2) a r (1 - r)
    Pz = PX[:, 1]
    np.subtract(Hp, n, out=Pz)
    t1 *= z
    Pz *= t1                                 # (h - n) z (1 - z)
    PH = PX.copy()                           # the hidden projection sees r * dz_n
    PH[:, 2] *= r
    del t1

    dh = np.zeros((B, H), dt) if dh_n is None else dh_n.copy()
    DH = np.empty((N, H), dt)
    dZh = np.empty((N, 3 * H), dt)
    dZh3 = dZh.reshape(N, 3, H)
    tmp = np.empty((B, H), dt)
    for lo, hi in (sched.steps if reverse else reversed(sched.steps)):
        b = hi - lo
        dhb = dh[:b]
        if dYd is not None:
            dhb += dYd[lo:hi]
        DH[lo:hi] = dhb
        np.multiply(dhb[:, None, :], PH[lo:hi], out=dZh3[lo:hi])
        zpart = np.multiply(dhb, z[lo:hi], out=tmp[:b])
        np.matmul(dZh[lo:hi], w_hh, out=dhb)
        dhb += zpart                          # dh_prev = dh z + dZh W_hh
    dZx = np.multiply(DH[:, None, :], PX).reshape(N, 3 * H)
    dW_ih = np.matmul(dZx.T, X)
    dW_hh = np.matmul(dZh.T, Hp)
    dX = np.matmul(dZx, w_ih) if need_dx else None
    return dX, dW_ih, dW_hh, dZx.sum(0), dZh.sum(0), dh


# ---------------------------------------------------------------------- Elman RNN: one layer, one direction
def _rnn_forward(X, w_ih, w_hh, b_ih, b_hh, h0, sched, reverse, Yd, relu):
    """Run one Elman RNN direction: :math:`h_t = \\phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`."""
    XW = _input_projection(X, w_ih, None if b_ih is None else b_ih + b_hh, None)
    WhhT = np.ascontiguousarray(w_hh.T)
    blocks = _column_blocks(WhhT)
    h = h0
    for lo, hi in (reversed(sched.steps) if reverse else sched.steps):
        b = hi - lo
        nb = h.shape[0]
        if b != nb:
            h = h[:b] if b < nb else np.concatenate((h, h0[nb:b]))
        hn = Yd[lo:hi]
        _step_matmul(h, WhhT, blocks, hn)
        hn += XW[lo:hi]
        if relu:
            np.maximum(hn, 0, out=hn)
        else:
            np.tanh(hn, out=hn)
        h = hn
    rows = slice(0, sched.B) if reverse else sched.last_rows()
    return None, Yd[rows]


def _rnn_backward(dYd, dh_n, X, w_ih, w_hh, h0, Yd, sched, reverse, relu, need_dx):
    """BPTT for one Elman direction.

    .. math::
        \\bar z_t = \\bar h_t \\phi'(h_t),\\quad \\bar h_{t-1} = \\bar z_t W_{hh}
    """
    dt = Yd.dtype
    N, B = sched.N, sched.B
    H = w_hh.shape[1]
    if relu:
        D = (Yd > 0).astype(dt)
    else:
        D = np.multiply(Yd, Yd)
        np.subtract(1, D, out=D)
    dh = np.zeros((B, H), dt) if dh_n is None else dh_n.copy()
    dZ = np.empty((N, H), dt)
    for lo, hi in (sched.steps if reverse else reversed(sched.steps)):
        b = hi - lo
        dhb = dh[:b]
        if dYd is not None:
            dhb += dYd[lo:hi]
        np.multiply(dhb, D[lo:hi], out=dZ[lo:hi])
        np.matmul(dZ[lo:hi], w_hh, out=dhb)
    Hp = _states_entering(Yd, h0, sched, reverse)
    dW_ih = np.matmul(dZ.T, X)
    dW_hh = np.matmul(dZ.T, Hp)
    db = dZ.sum(0)
    dX = np.matmul(dZ, w_ih) if need_dx else None
    return dX, dW_ih, dW_hh, db, db, dh


# ---------------------------------------------------------------------- the whole stack as one node
class _StackConfig:
    """Options of one call of a recurrent stack (plain values, passed to the Function as its first argument)."""

    __slots__ = ("mode", "num_layers", "D", "hidden_size", "proj_size", "has_biases", "dropout", "train",
                 "batch_first", "batched", "batch_sizes", "sorted_indices", "unsorted_indices")

    def __init__(self, mode, num_layers, bidirectional, hidden_size, proj_size, has_biases, dropout, train,
                 batch_first, batched=True, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        self.mode = mode
        self.num_layers = num_layers
        self.D = 2 if bidirectional else 1
        self.hidden_size = hidden_size
        self.proj_size = proj_size
        self.has_biases = has_biases
        self.dropout = dropout
        self.train = train
        self.batch_first = batch_first
        self.batched = batched
        self.batch_sizes = batch_sizes
        self.sorted_indices = sorted_indices
        self.unsorted_indices = unsorted_indices


def _dropout_mask(shape, p, dt):
    """Inverted-dropout mask: 0 with probability p, else 1/(1-p)."""
    if p >= 1:
        return np.zeros(shape, dt)
    u = _gen(None).random(shape, dtype=dt if dt in (np.float32, np.float64) else np.float64)
    keep = u >= p
    return keep.astype(dt) * (1.0 / (1.0 - p))


class RNNStackFunction(ArrayFunction):
    """A whole recurrent stack (layers x directions, dropout between layers) as one autograd node.

    .. math::
        y^{(0)} = x,\\quad y^{(l)}_t = [\\overrightarrow{h}^{(l)}_t ; \\overleftarrow{h}^{(l)}_t],\\quad
        h^{(l)}_t = \\text{cell}(\\delta^{(l-1)} \\odot y^{(l-1)}_t,\\ h^{(l)}_{t \\mp 1})

    with :math:`\\delta` the inverted-dropout masks (training only) and the cell an LSTM, GRU or Elman step.

    ``forward(ctx, cfg, x, h0, c0, *weights)`` with ``weights`` in torch's ``_flat_weights`` order
    (per layer and direction: ``w_ih, w_hh[, b_ih, b_hh][, w_hr]``); ``h0``/``c0`` may be ``None`` (zeros).
    Returns ``(output, h_n)`` or, for LSTM, ``(output, h_n, c_n)``.
    """
    node_name = "StackBackward0"
    materialize_grads = False   # an unused h_n / c_n / output reaches backward as None

    @staticmethod
    def forward(ctx, cfg, x, h0, c0, *weights):
        dt = x.dtype
        mode, L, D = cfg.mode, cfg.num_layers, cfg.D
        H = cfg.hidden_size
        Hout = cfg.proj_size or H
        lstm = mode == "LSTM"
        # --- input to the time-major 2-D layout (plus a ones column that carries the biases through the GEMM)
        ones = cfg.has_biases
        if cfg.batch_sizes is not None:
            sched = _Schedule(cfg.batch_sizes, False)
            src = x
        elif cfg.batched:
            if cfg.batch_first:
                src = x.transpose(1, 0, 2)
                sched = _dense_schedule(x.shape[1], x.shape[0])
            else:
                src = x
                sched = _dense_schedule(x.shape[0], x.shape[1])
        else:
            src = x
            sched = _dense_schedule(x.shape[0], 1)
        X = _input_rows(src, sched.N, x.shape[-1], ones)
        B, LD, N, DH = sched.B, L * D, sched.N, D * Hout
        perm = cfg.sorted_indices
        h0s = _initial_state(h0, LD, B, Hout, dt, perm)
        c0s = _initial_state(c0, LD, B, H, dt, perm) if lstm else None
        keep = any(ctx.needs_input_grad)
        nw = len(weights) // LD
        h_n = np.empty((LD, B, Hout), dt)
        c_n = np.empty((LD, B, H), dt) if lstm else None
        layers = []
        inp = X
        for layer in range(L):
            last = layer == L - 1
            if ones and not last:    # this output is the next layer's input: give it the ones column now
                Yext = np.empty((N, DH + 1), dt)
                Yext[:, DH] = 1
                Y = Yext[:, :DH]
            else:
                Yext = Y = np.empty((N, DH), dt)
            dirs = []
            for d in range(D):
                k = layer * D + d
                w = weights[k * nw:(k + 1) * nw]
                b_ih, b_hh = (w[2], w[3]) if cfg.has_biases else (None, None)
                Yd = Y if D == 1 else Y[:, d * Hout:(d + 1) * Hout]
                if lstm:
                    w_hr = w[-1] if cfg.proj_size else None
                    st, h_last, c_last = _lstm_forward(inp, w[0], w[1], b_ih, b_hh, w_hr, h0s[k], c0s[k], sched,
                                                       d == 1, Yd, keep)
                    c_n[k] = c_last
                elif mode == "GRU":
                    st, h_last = _gru_forward(inp, w[0], w[1], b_ih, b_hh, h0s[k], sched, d == 1, Yd, keep)
                else:
                    st, h_last = _rnn_forward(inp, w[0], w[1], b_ih, b_hh, h0s[k], sched, d == 1, Yd,
                                              mode == "RNN_RELU")
                h_n[k] = h_last
                dirs.append(st)
            mask = None
            nxt = Yext
            if not last and cfg.train and cfg.dropout > 0:
                mask = _dropout_mask(Y.shape, cfg.dropout, dt)
                nxt = np.empty(Yext.shape, dt)
                np.multiply(Y, mask, out=nxt[:, :DH])
                if ones:
                    nxt[:, DH] = 1
            layers.append((inp, Y, mask, dirs))
            inp = nxt
        # --- outputs in the caller's layout
        Y = layers[-1][1]
        if cfg.batch_sizes is not None or not cfg.batched:
            out = Y
        else:
            out = Y.reshape(sched.T, B, D * Hout)
            if cfg.batch_first:
                out = out.transpose(1, 0, 2)
        if cfg.unsorted_indices is not None:
            h_n = h_n[:, cfg.unsorted_indices]
            if lstm:
                c_n = c_n[:, cfg.unsorted_indices]
        if not cfg.batched:
            h_n = h_n.reshape(LD, Hout)
            if lstm:
                c_n = c_n.reshape(LD, H)
        if keep:
            ctx.cfg = cfg
            ctx.save_for_backward(x, h0, c0, out, *weights, (sched, layers, h0s, c0s))
        return (out, h_n, c_n) if lstm else (out, h_n)

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn=None):
        cfg = ctx.cfg
        saved = ctx.saved_tensors
        x, h0, c0 = saved[0], saved[1], saved[2]
        weights = saved[4:-1]
        sched, layers, h0s, c0s = saved[-1]
        needs = ctx.needs_input_grad
        mode, L, D = cfg.mode, cfg.num_layers, cfg.D
        H = cfg.hidden_size
        Hout = cfg.proj_size or H
        lstm = mode == "LSTM"
        B, N, LD = sched.B, sched.N, L * D
        nw = len(weights) // LD
        # --- incoming gradients to the internal layout
        dY = None
        if g_out is not None:
            if cfg.batch_sizes is not None or not cfg.batched:
                dY = g_out
            elif cfg.batch_first:
                dY = g_out.transpose(1, 0, 2).reshape(N, D * Hout)
            else:
                dY = g_out.reshape(N, D * Hout)
        g_hn = _state_grad(g_hn, LD, B, Hout, cfg.sorted_indices)
        g_cn = _state_grad(g_cn, LD, B, H, cfg.sorted_indices) if lstm else None
        dW = [None] * len(weights)
        dh0 = np.empty((LD, B, Hout), x.dtype) if needs[2] else None
        dc0 = np.empty((LD, B, H), x.dtype) if lstm and needs[3] else None
        dX = None
        for layer in range(L - 1, -1, -1):
            inp, Y, mask, dirs = layers[layer]
            if cfg.has_biases:
                inp = inp[:, :-1]      # the layer input without its ones column
            need_dx = layer > 0 or needs[1]
            dX = None
            for d in range(D):
                k = layer * D + d
                w = weights[k * nw:(k + 1) * nw]
                dYd = None if dY is None else (dY if D == 1 else dY[:, d * Hout:(d + 1) * Hout])
                Yd = Y if D == 1 else Y[:, d * Hout:(d + 1) * Hout]
                dhk = None if g_hn is None else g_hn[k]
                if lstm:
                    w_hr = w[-1] if cfg.proj_size else None
                    dXd, dWih, dWhh, dbih, dbhh, dWhr, dhk0, dck0 = _lstm_backward(
                        dYd, dhk, None if g_cn is None else g_cn[k], inp, w[0], w[1], w_hr, h0s[k], c0s[k], Yd,
                        dirs[d], sched, d == 1, need_dx)
                    if cfg.proj_size:
                        dW[(k + 1) * nw - 1] = dWhr
                    if dc0 is not None:
                        dc0[k] = dck0
                elif mode == "GRU":
                    dXd, dWih, dWhh, dbih, dbhh, dhk0 = _gru_backward(dYd, dhk, inp, w[0], w[1], h0s[k], Yd,
                                                                      dirs[d], sched, d == 1, need_dx)
                else:
                    dXd, dWih, dWhh, dbih, dbhh, dhk0 = _rnn_backward(dYd, dhk, inp, w[0], w[1], h0s[k], Yd,
                                                                      sched, d == 1, mode == "RNN_RELU",
                                                                      need_dx)
                dW[k * nw] = dWih
                dW[k * nw + 1] = dWhh
                if cfg.has_biases:
                    dW[k * nw + 2] = dbih
                    dW[k * nw + 3] = dbhh
                if dh0 is not None:
                    dh0[k] = dhk0
                if need_dx:
                    if dX is None:
                        dX = dXd
                    else:
                        dX += dXd
            if layer > 0:
                prev_mask = layers[layer - 1][2]
                dY = dX if prev_mask is None else dX * prev_mask
        # --- gradients in the caller's layouts
        gx = None
        if needs[1]:
            if cfg.batch_sizes is not None or not cfg.batched:
                gx = dX
            elif cfg.batch_first:
                gx = dX.reshape(sched.T, B, x.shape[2]).transpose(1, 0, 2)
            else:
                gx = dX.reshape(x.shape)
        gh0 = None if dh0 is None else _state_grad_back(dh0, h0.shape, cfg.unsorted_indices)
        gc0 = None if dc0 is None else _state_grad_back(dc0, c0.shape, cfg.unsorted_indices)
        return (None, gx, gh0, gc0) + tuple(g if n else None for g, n in zip(dW, needs[4:]))


def _initial_state(s, LD, B, width, dt, perm):
    """h0 / c0 as a (L*D, B, width) array in sorted batch order (zeros when not given)."""
    if s is None:
        return np.zeros((LD, B, width), dt)
    s = s.reshape(LD, B, width)
    return s[:, perm] if perm is not None else s


def _state_grad(g, LD, B, width, perm):
    if g is None:
        return None
    g = g.reshape(LD, B, width)
    return g[:, perm] if perm is not None else g


def _state_grad_back(g, shape, unperm):
    if unperm is not None:
        g = g[:, unperm]
    return g.reshape(shape)


_NAMED = {}


def _stack_function(cfg, dtype):
    """The stack Function, named after what torch prints as ``output.grad_fn`` for this layout."""
    if cfg.batch_sizes is not None:
        name = "CatBackward0"
    elif not cfg.batched:
        name = "SqueezeBackward1"
    elif cfg.batch_first:
        name = "TransposeBackward0" if cfg.mode == "LSTM" else "TransposeBackward1"
    elif cfg.D == 2:
        name = "CatBackward0"
    elif cfg.mode == "LSTM" and dtype == np.float32 and not cfg.proj_size:
        name = "MkldnnRnnLayerBackward0"    # torch's oneDNN LSTM kernel
    else:
        name = "StackBackward0"
    cls = _NAMED.get(name)
    if cls is None:
        cls = _NAMED[name] = type("RNNStackFunction", (RNNStackFunction,), {"node_name": name})
    return cls


def _rnn_stack(mode, input, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first,
               hidden_size, proj_size=0, batched=True, batch_sizes=None, sorted_indices=None,
               unsorted_indices=None):
    """Run a recurrent stack (validated by the caller) as one autograd node; returns the output tuple."""
    cfg = _StackConfig(mode, num_layers, bidirectional, hidden_size, proj_size, has_biases, float(dropout),
                       bool(train), batch_first, batched, batch_sizes, sorted_indices, unsorted_indices)
    return _stack_function(cfg, input._data.dtype).apply(cfg, input, hx, cx, *params)


def _vf_stack(mode, input, args):
    """torch._VF-style argument parsing shared by :func:`lstm`, :func:`gru`, :func:`rnn_tanh`, :func:`rnn_relu`."""
    if not isinstance(args[2], (bool, int)):   # packed overload: (data, batch_sizes, hx, params, has_biases, ...)
        batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
        batch_first = False
        bs = batch_sizes._data.astype(np.int64)
    else:
        hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
        bs = None
    params = list(params)
    D = 2 if bidirectional else 1
    per = len(params) // (num_layers * D)
    w_hh = params[1]
    H = w_hh.shape[0] // _GATES[mode]
    proj = w_hh.shape[1] if mode == "LSTM" and per == (5 if has_biases else 3) else 0
    if mode == "LSTM":
        h0, c0 = hx
    else:
        h0, c0 = hx, None
    return _rnn_stack(mode, input, h0, c0, params, has_biases, num_layers, dropout, train, bidirectional,
                      batch_first, H, proj, True, bs)


def lstm(input, *args):
    """A multi-layer LSTM over a whole sequence, torch's ``torch.lstm`` (``_VF.lstm``).

    .. math::
        i_t = \\sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}),\\ f_t = \\sigma(\\dots),\\
        g_t = \\tanh(\\dots),\\ o_t = \\sigma(\\dots),\\ c_t = f_t c_{t-1} + i_t g_t,\\ h_t = o_t \\tanh(c_t)

    Two overloads, as torch: ``lstm(input, (h0, c0), params, has_biases, num_layers, dropout, train,
    bidirectional, batch_first)`` and, for packed data, ``lstm(data, batch_sizes, (h0, c0), params,
    has_biases, num_layers, dropout, train, bidirectional)``. Returns ``(output, h_n, c_n)``.
    """
    return _vf_stack("LSTM", input, args)


def gru(input, *args):
    """A multi-layer GRU over a whole sequence, torch's ``torch.gru``; returns ``(output, h_n)``.

    .. math::
        r = \\sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}),\\ z = \\sigma(\\dots),\\
        n = \\tanh(W_{in} x + b_{in} + r (W_{hn} h + b_{hn})),\\ h' = (1 - z) n + z h
    """
    return _vf_stack("GRU", input, args)


def rnn_tanh(input, *args):
    """A multi-layer Elman RNN, :math:`h_t = \\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`."""
    return _vf_stack("RNN_TANH", input, args)


def rnn_relu(input, *args):
    """A multi-layer Elman RNN, :math:`h_t = \\max(0, W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`."""
    return _vf_stack("RNN_RELU", input, args)


# ---------------------------------------------------------------------- single cells
def _cell_inputs(x, h):
    if x.ndim == 1:
        return x[None], (None if h is None else h[None]), True
    return x, h, False


class LSTMCellFunction(ArrayFunction):
    """One fused LSTM step: all four gates from two GEMMs, one backward returning every gradient.

    .. math::
        (i, f, g, o) = (\\sigma, \\sigma, \\tanh, \\sigma)(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh}),\\quad
        c' = f c + i g,\\quad h' = o \\tanh(c')
    """
    node_name = "MulBackward0"
    materialize_grads = False

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih, b_hh):
        x, h, unb = _cell_inputs(x, h)
        if c is not None and c.ndim == 1:
            c = c[None]
        H = w_hh.shape[1]
        s, shift = _gate_scale("LSTM", H, x.dtype)
        z = np.matmul(x, w_ih.T)
        if h is not None:
            z += np.matmul(h, w_hh.T)
        if b_ih is not None:
            z += b_ih + b_hh
        z *= s
        np.tanh(z, out=z)
        z *= s
        z += shift                                       # a = [i, f, g, o]
        cn = np.multiply(z[:, :H], z[:, 2 * H:3 * H])
        if c is not None:
            cn += z[:, H:2 * H] * c
        tc = np.tanh(cn)
        hn = z[:, 3 * H:] * tc
        if any(ctx.needs_input_grad):
            ctx.unbatched = unb
            ctx.save_for_backward(x, h, c, w_ih, w_hh, z, tc)
        return (hn[0], cn[0]) if unb else (hn, cn)

    @staticmethod
    def backward(ctx, dh, dc):
        x, h, c, w_ih, w_hh, a, tc = ctx.saved_tensors
        needs = ctx.needs_input_grad
        H = w_hh.shape[1]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        B = x.shape[0]
        if ctx.unbatched:
            dh = None if dh is None else dh[None]
            dc = None if dc is None else dc[None]
        dct = np.zeros((B, H), x.dtype) if dc is None else dc.copy()
        dG = np.empty((B, 4 * H), x.dtype)
        if dh is not None:
            dct += dh * o * (1 - tc * tc)
            np.multiply(dh * tc, o * (1 - o), out=dG[:, 3 * H:])
        else:
            dG[:, 3 * H:] = 0
        np.multiply(dct * g, i * (1 - i), out=dG[:, :H])
        if c is not None:
            np.multiply(dct * c, f * (1 - f), out=dG[:, H:2 * H])
        else:
            dG[:, H:2 * H] = 0
        np.multiply(dct * i, 1 - g * g, out=dG[:, 2 * H:3 * H])
        res = [np.matmul(dG, w_ih) if needs[0] else None,
               np.matmul(dG, w_hh) if needs[1] else None,
               dct * f if needs[2] else None,
               np.matmul(dG.T, x) if needs[3] else None,
               np.matmul(dG.T, h) if needs[4] and h is not None else
               (np.zeros_like(w_hh) if needs[4] else None)]
        db = dG.sum(0) if needs[5] or needs[6] else None
        res += [db if needs[5] else None, db if needs[6] else None]
        if ctx.unbatched:
            res[:3] = [None if r is None else r[0] for r in res[:3]]
        return tuple(res)


class GRUCellFunction(ArrayFunction):
    """One fused GRU step.

    .. math::
        r = \\sigma(\\cdot),\\ z = \\sigma(\\cdot),\\ n = \\tanh(W_{in} x + b_{in} + r (W_{hn} h + b_{hn})),\\
        h' = (1 - z) n + z h
    """
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh):
        x, h, unb = _cell_inputs(x, h)
        B = x.shape[0]
        H = w_hh.shape[1]
        gx = np.matmul(x, w_ih.T)
        gh = np.matmul(h, w_hh.T) if h is not None else np.zeros((B, 3 * H), x.dtype)
        if b_ih is not None:
            gx += b_ih
            gh += b_hh
        rz = gx[:, :2 * H] + gh[:, :2 * H]
        rz *= 0.5
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        r, z = rz[:, :H], rz[:, H:]
        a = gh[:, 2 * H:]
        n = np.tanh(gx[:, 2 * H:] + r * a)
        hp = h if h is not None else np.zeros((B, H), x.dtype)
        hn = n + z * (hp - n)
        if any(ctx.needs_input_grad):
            ctx.unbatched = unb
            ctx.save_for_backward(x, h, w_ih, w_hh, rz, n, a)
        return hn[0] if unb else hn

    @staticmethod
    def backward(ctx, dh):
        x, h, w_ih, w_hh, rz, n, a = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if ctx.unbatched:
            dh = dh[None]
        B, H = x.shape[0], w_hh.shape[1]
        r, z = rz[:, :H], rz[:, H:]
        hp = h if h is not None else np.zeros((B, H), x.dtype)
        dzx = np.empty((B, 3 * H), x.dtype)
        dn = dh * (1 - z) * (1 - n * n)
        dzx[:, 2 * H:] = dn
        np.multiply(dn * a, r * (1 - r), out=dzx[:, :H])
        np.multiply(dh * (hp - n), z * (1 - z), out=dzx[:, H:2 * H])
        dzh = dzx.copy()
        dzh[:, 2 * H:] *= r
        res = [np.matmul(dzx, w_ih) if needs[0] else None,
               dh * z + np.matmul(dzh, w_hh) if needs[1] else None,
               np.matmul(dzx.T, x) if needs[2] else None,
               np.matmul(dzh.T, hp) if needs[3] else None,
               dzx.sum(0) if needs[4] else None,
               dzh.sum(0) if needs[5] else None]
        if ctx.unbatched:
            res[:2] = [None if r_ is None else r_[0] for r_ in res[:2]]
        return tuple(res)


class RNNTanhCellFunction(ArrayFunction):
    """One Elman step, :math:`h' = \\tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})`."""
    node_name = "TanhBackward0"
    relu = False

    @classmethod
    def forward(cls, ctx, x, h, w_ih, w_hh, b_ih, b_hh):
        x, h, unb = _cell_inputs(x, h)
        y = np.matmul(x, w_ih.T)
        if h is not None:
            y += np.matmul(h, w_hh.T)
        if b_ih is not None:
            y += b_ih + b_hh
        if cls.relu:
            np.maximum(y, 0, out=y)
        else:
            np.tanh(y, out=y)
        if any(ctx.needs_input_grad):
            ctx.unbatched = unb
            ctx.save_for_backward(x, h, w_ih, w_hh, y)
        return y[0] if unb else y

    @staticmethod
    def backward(ctx, dh):
        x, h, w_ih, w_hh, y = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if ctx.unbatched:
            dh = dh[None]
        dz = dh * (y > 0) if type(ctx).relu else dh * (1 - y * y)
        dz = dz.astype(x.dtype, copy=False)
        res = [np.matmul(dz, w_ih) if needs[0] else None,
               np.matmul(dz, w_hh) if needs[1] else None,
               np.matmul(dz.T, x) if needs[2] else None,
               (np.matmul(dz.T, h) if h is not None else np.zeros_like(w_hh)) if needs[3] else None]
        db = dz.sum(0) if needs[4] or needs[5] else None
        res += [db if needs[4] else None, db if needs[5] else None]
        if ctx.unbatched:
            res[:2] = [None if r is None else r[0] for r in res[:2]]
        return tuple(res)


class RNNReluCellFunction(RNNTanhCellFunction):
    """One Elman step, :math:`h' = \\max(0, x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})`."""
    node_name = "ReluBackward0"
    relu = True


def _dtype_word(t):
    return {"float32": "Float", "float64": "Double", "float16": "Half"}.get(t._data.dtype.name, t._data.dtype.name)


def _check_cell(input, hx_list, w_ih, w_hh, b_ih, b_hh):
    """torch's checks for the cell functions (aten's check_rnn_cell_forward_input/hidden)."""
    if input._data.dtype != w_ih._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dtype_word(input)} and "
                           f"{_dtype_word(w_ih)}")
    input_size = w_ih.shape[1]
    hidden_size = w_hh.shape[1]
    x = input._data
    if x.shape[-1] != input_size:
        raise RuntimeError(f"input has inconsistent input_size: got {x.shape[-1]} expected {input_size}")
    batch = x.shape[0] if x.ndim == 2 else 1
    for k, h in enumerate(hx_list):
        if h is None:
            continue
        seen = h._data.shape if x.ndim == 2 else (1,) + h._data.shape   # torch unsqueezes unbatched states
        if len(seen) < 1 or seen[0] != batch:
            raise RuntimeError(f"Input batch size {batch} doesn't match hidden{k} batch size "
                               f"{seen[0] if seen else 1}")
        if len(seen) != 2 or seen[1] != hidden_size:
            got = seen[1] if len(seen) > 1 else 1
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {got}, expected {hidden_size}"
                               + ("" if got != hidden_size else f" (hidden{k} has shape {list(h.shape)})"))
        if h._data.dtype != x.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dtype_word(h)} and "
                               f"{_dtype_word(w_hh)}")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step on a batch ``(B, I)`` (or one sample ``(I,)``); ``hx = (h, c)``; returns ``(h', c')``.

    .. math::
        i = \\sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}),\\ f = \\sigma(\\dots),\\ g = \\tanh(\\dots),\\
        o = \\sigma(\\dots),\\ c' = f c + i g,\\ h' = o \\tanh(c')
    """
    h, c = (None, None) if hx is None else hx
    _check_cell(input, (h, c), w_ih, w_hh, b_ih, b_hh)
    return LSTMCellFunction.apply(input, h, c, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: :math:`h' = (1 - z) n + z h` with torch's r, z, n gates (see :class:`GRUCellFunction`)."""
    _check_cell(input, (hx,), w_ih, w_hh, b_ih, b_hh)
    return GRUCellFunction.apply(input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step, :math:`h' = \\tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`."""
    _check_cell(input, (hx,), w_ih, w_hh, b_ih, b_hh)
    return RNNTanhCellFunction.apply(input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step, :math:`h' = \\max(0, W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`."""
    _check_cell(input, (hx,), w_ih, w_hh, b_ih, b_hh)
    return RNNReluCellFunction.apply(input, hx, w_ih, w_hh, b_ih, b_hh)
