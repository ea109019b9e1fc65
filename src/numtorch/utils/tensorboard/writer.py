"""``SummaryWriter``: write scalars, histograms, images, text, hyperparameters and the model graph for TensorBoard.

torch's ``torch.utils.tensorboard.SummaryWriter`` with its signature, defaults and on-disk layout, taking numtorch
tensors (and NumPy arrays and Python numbers) wherever torch takes tensors. Event files are written through
tensorboardX (the ``tensorboard`` extra); the file names follow torch's
``events.out.tfevents.<time>.<hostname>.<pid>.<n><filename_suffix>``.
"""
import atexit
import itertools
import os
import socket
import threading
import time
import weakref
from datetime import datetime

from ._tbx import tbx
from .summary import histogram, histogram_raw, hparams, image, make_np, scalar, text

__all__ = ["FileWriter", "SummaryWriter"]

Event = tbx.event_pb2.Event
SessionLog = tbx.event_pb2.SessionLog

_file_ids = itertools.count()
#: Every FileWriter not yet closed: kept alive (as torch's writer threads keep theirs) and closed at exit, so
#: waiting events reach the file even when a writer is dropped without ``close()``.
_open_writers = set()


@atexit.register
def _close_open_writers():
    for w in list(_open_writers):
        w.close()


def _flush_periodically(ref, stop, every):
    """The background flusher of one FileWriter, until ``stop`` is set (by ``close()``)."""
    while not stop.wait(max(every, 0.01)):
        w = ref()
        if w is None:
            return
        w.flush()
        del w


class FileWriter:
    """Writes ``Event`` protocol buffers to one event file in ``log_dir``.

    Events wait in memory until ``max_queue`` of them are pending, ``flush()`` or ``close()`` is called, or
    ``flush_secs`` seconds pass; then they are appended to the file and the file is flushed to disk.

    Args:
        log_dir: directory of the event file (created if missing).
        max_queue: how many events may wait before an ``add`` call writes them. Default: 10.
        flush_secs: how often, in seconds, waiting events are written. Default: 120.
        filename_suffix: appended to the event file's name.
    """

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self._log_dir = str(log_dir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._filename_suffix = filename_suffix
        self._lock = threading.RLock()
        self._file = None
        self._open()

    def _open(self):
        tbx.record_writer.directory_check(self._log_dir)
        suffix = f".{os.getpid()}.{next(_file_ids)}{self._filename_suffix}"
        self._file = tbx.EventsWriter(os.path.join(self._log_dir, "events"), suffix)
        self._pending = []
        self._stop = threading.Event()
        threading.Thread(target=_flush_periodically, args=(weakref.ref(self), self._stop, self._flush_secs),
                         daemon=True, name="numtorch-tensorboard-flush").start()
        _open_writers.add(self)

    def get_logdir(self):
        """The directory the event file is in."""
        return self._log_dir

    def add_event(self, event, step=None, walltime=None):
        """Queue an ``Event``, stamped with ``walltime`` (default: now) and ``step`` when given."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        with self._lock:
            if self._file is None:
                return
            self._pending.append(event)
            if len(self._pending) >= self._max_queue:
                self._write_pending()

    def add_summary(self, summary, global_step=None, walltime=None):
        """Queue a ``Summary`` wrapped in an ``Event``."""
        self.add_event(Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None):
        """Queue a ``(GraphDef, RunMetadata)`` pair: the graph, then the run metadata tagged ``step1``."""
        graph, run_metadata = graph_profile
        self.add_event(Event(graph_def=graph.SerializeToString()), None, walltime)
        if not isinstance(run_metadata, bytes):
            run_metadata = run_metadata.SerializeToString()
        tagged = tbx.event_pb2.TaggedRunMetadata(tag="step1", run_metadata=run_metadata)
        self.add_event(Event(tagged_run_metadata=tagged), None, walltime)

    def _write_pending(self):
        for event in self._pending:
            self._file.write_event(event)
        self._pending = []
        self._file.flush()

    def flush(self):
        """Write every waiting event and flush the file to disk."""
        with self._lock:
            if self._file is not None:
                self._write_pending()

    def close(self):
        """Flush and close the file; later events are dropped until ``reopen()``."""
        with self._lock:
            if self._file is None:
                return
            self._write_pending()
            self._file.close()
            self._file = None
            self._stop.set()
            _open_writers.discard(self)

    def reopen(self):
        """After ``close()``, start a new event file in the same directory; otherwise do nothing."""
        with self._lock:
            if self._file is None:
                self._open()


def _default_log_dir(comment):
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", stamp + "_" + socket.gethostname() + comment)


def _tensorflow_bins():
    """Histogram bucket limits as TensorFlow makes them: :math:`\\pm 10^{-12} \\cdot 1.1^k` up to :math:`10^{20}`, and 0."""
    v = 1e-12
    pos = []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-b for b in reversed(pos)] + [0] + pos


class SummaryWriter:
    """Writes TensorBoard event files to ``log_dir`` (torch.utils.tensorboard.SummaryWriter).

    Every ``add_*`` call appends one event; ``tensorboard --logdir runs`` shows them. Values may be numtorch
    tensors, NumPy arrays or Python numbers.

    Args:
        log_dir: where to write. Default: ``runs/<Mon><DD>_<HH>-<MM>-<SS>_<hostname><comment>``.
        comment: suffix of the default ``log_dir``; ignored when ``log_dir`` is given.
        purge_step: when a crashed run restarts at step ``T``, events with ``step >= T`` written before are hidden.
        max_queue: events kept in memory before an ``add`` call writes them. Default: 10.
        flush_secs: how often, in seconds, waiting events are written. Default: 120.
        filename_suffix: suffix of every event file name in ``log_dir``.

    Example::

        >>> with SummaryWriter("runs/exp1") as w:
        ...     for step in range(3):
        ...         w.add_scalar("loss", 1.0 / (step + 1), step)
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            log_dir = _default_log_dir(comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _tensorflow_bins()

    def _get_file_writer(self):
        """The writer of ``log_dir``'s own event file, created again after ``close()``."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                self.file_writer.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The directory event files are written to."""
        return self.log_dir

    # ------------------------------------------------------------------ scalars
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Record one value :math:`y_t` of the series ``tag`` at step :math:`t` = ``global_step``.

        Args:
            tag: series name, e.g. ``'train/loss'``.
            scalar_value: a Python number or a one-element tensor or array.
            global_step: the step (x axis).
            walltime: seconds since the epoch to record instead of now.
            new_style: store a tensor for the scalars plugin instead of ``simple_value``.
            double_precision: with ``new_style``, keep float64.
        """
        summary = scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Record several series in one chart: each ``tag`` goes to the run ``<log_dir>/<main_tag>_<tag>``."""
        walltime = time.time() if walltime is None else walltime
        logdir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            run = logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(run)
            if fw is None:
                fw = self.all_writers[run] = FileWriter(run, self.max_queue, self.flush_secs, self.filename_suffix)
            fw.add_summary(scalar(main_tag, value), global_step, walltime)

    # ------------------------------------------------------------------ histograms
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Record the distribution of ``values`` (any shape) at ``global_step``.

        Args:
            bins: ``'tensorflow'`` (TensorFlow's exponential buckets), any ``np.histogram`` rule such as
                ``'auto'`` or ``'fd'``, a bin count, or the bucket edges.
            max_bins: merge neighbouring buckets until at most about this many remain.
        """
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(histogram(tag, values, bins, max_bins=max_bins), global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None):
        """Record a histogram from its statistics and buckets (``bucket_limits[i]``: right edge of bucket ``i``)."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        limits = make_np(bucket_limits).tolist() if not isinstance(bucket_limits, list) else bucket_limits
        counts = make_np(bucket_counts).tolist() if not isinstance(bucket_counts, list) else bucket_counts
        summary = histogram_raw(tag, min, max, num, sum, sum_squares, limits, counts)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # ------------------------------------------------------------------ images
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Record one image.

        ``img_tensor`` is laid out as ``dataformats`` says (``'CHW'``, ``'HWC'``, ``'HW'``, ...; C = 1, 3 or 4).
        Float pixels in ``[0, 1]`` are scaled by 255; uint8 pixels are used as they are.
        """
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """Record a batch of images, tiled into one grid eight images wide (``dataformats`` ``'NCHW'``/``'NHWC'``)."""
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """Render a matplotlib figure (or a list of them, as a batch) and record it as an image."""
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        import numpy as np

        def render(fig):
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            w, h = fig.canvas.get_width_height()
            rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(h, w, 4)
            if close:
                plt.close(fig)
            return np.moveaxis(rgba[:, :, :3], 2, 0)

        if isinstance(figure, list):
            self.add_image(tag, np.stack([render(f) for f in figure]), global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, render(figure), global_step, walltime, dataformats="CHW")

    # ------------------------------------------------------------------ text
    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Record a string (rendered as Markdown by TensorBoard's text plugin)."""
        self._get_file_writer().add_summary(text(tag, text_string), global_step, walltime)

    # ------------------------------------------------------------------ graph
    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Record ``model``'s graph, found by running it once on ``input_to_model``.

        The graph shows the model's operations (``aten::_convolution``, ``aten::linear``, ...) grouped by module
        scope (``Net/Sequential[features]/Conv2d[0]``), the parameters they read and each output's shape.

        Args:
            model: a ``numtorch.nn.Module``.
            input_to_model: a tensor, or a tuple/list of the forward's positional arguments.
            verbose: print the graph's nodes.
            use_strict_trace: accepted for torch compatibility (numtorch does not trace through JIT).
        """
        from ._graph import graph
        self._get_file_writer().add_graph(graph(model, input_to_model, verbose, use_strict_trace))

    # ------------------------------------------------------------------ hyperparameters
    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Record one run's hyperparameters and its final metrics for the HParams dashboard.

        They go to a sub-run ``<log_dir>/<run_name>`` (default: the current time), where each metric is also
        written as a scalar.

        Args:
            hparam_dict: name -> value (``bool``, ``str``, ``int``, ``float``, a one-element tensor, or ``None``).
            metric_dict: metric tag -> value.
            hparam_domain_discrete: name -> list of every value that hyperparameter can take.
            run_name: name of the sub-run.
            global_step: the step recorded with the values.
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, ssi, sei = hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w:
            w.file_writer.add_summary(exp, global_step)
            w.file_writer.add_summary(ssi, global_step)
            w.file_writer.add_summary(sei, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    # ------------------------------------------------------------------ lifetime
    def flush(self):
        """Write every waiting event of every run of this writer to disk."""
        if self.all_writers is None:
            return
        for w in self.all_writers.values():
            w.flush()

    def close(self):
        """Flush and close every event file; a later ``add_*`` call starts new files."""
        if self.all_writers is None:
            return
        for w in self.all_writers.values():
            w.flush()
            w.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
