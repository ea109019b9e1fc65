"""``numtorch-train``: train the seed's networks with data loading, TensorBoard, progress and checkpoints.

Usage::

    numtorch-train --model tudui --dataset digits --epochs 6
    python -m numtorch.train --model tudui --dataset cifar10 --data-dir ./data --epochs 10
    numtorch-train --model tudui --dataset digits --epochs 8 --resume      # continue from the checkpoint

Every epoch ends with the held-out accuracy, TensorBoard scalars (loss, accuracy, learning rate) and an
atomic checkpoint holding the weights, the optimizer state, both random generators and the position in
training, so ``--resume`` continues exactly where training stopped; Ctrl-C saves such a checkpoint too.
Bad input (an unknown model, a missing data directory, a corrupt checkpoint or one from another model, an
unwritable log directory) ends with a message and a non-zero exit status, never a traceback.
"""
import argparse
import math
import os
import reprlib
import signal
import sys
import threading
import time

import numpy as np

__all__ = ["main", "MODELS", "DATASETS"]


class TrainError(Exception):
    """A problem with the user's input: reported as one message and exit status 2."""


# ---------------------------------------------------------------------- models
def _tudui(num_classes, channels):
    """The seed's CIFAR-10 network (for 3x32x32 images)."""
    from . import nn

    class Tudui(nn.Module):
        def __init__(self):
            super().__init__()
            self.model1 = nn.Sequential(
                nn.Conv2d(channels, 32, 5, padding=2), nn.MaxPool2d(2),
                nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, num_classes))

        def forward(self, x):
            return self.model1(x)
    return Tudui()


def _lenet(num_classes, channels):
    """LeNet-5 (LeCun et al., 1998) for 32x32 images, with ReLU and max-pooling."""
    from . import nn

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(channels, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                nn.Linear(84, num_classes))

        def forward(self, x):
            return self.classifier(self.features(x))
    return LeNet()


def _mlp(num_classes, channels):
    """A two-hidden-layer perceptron over the flattened image."""
    from . import nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(channels * 32 * 32, 256), nn.ReLU(),
                                     nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, num_classes))

        def forward(self, x):
            return self.net(x)
    return MLP()


def _rows(x):
    """(N, C, H, W) images -> (N, H, C*W): each image row is one time step."""
    n, c, h, w = x.shape
    return x.permute(0, 2, 1, 3).reshape(n, h, c * w)


def _recurrent(cell):
    def build(num_classes, channels):
        """An LSTM/GRU reading the image row by row; the last step's hidden state is classified."""
        from . import nn

        class RowRNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = getattr(nn, cell)(input_size=channels * 32, hidden_size=128, batch_first=True)
                self.fc = nn.Linear(128, num_classes)

            def forward(self, x):
                out, _ = self.rnn(_rows(x))
                return self.fc(out[:, -1])
        return RowRNN()
    return build


def _transformer(num_classes, channels):
    """A Transformer encoder over the image rows (with sinusoidal positional encoding), mean-pooled."""
    from . import nn

    class RowTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(channels * 32, 64)
            self.pos = nn.SinusoidalPositionalEncoding(64, max_len=32, batch_first=True)
            layer = nn.TransformerEncoderLayer(64, nhead=4, dim_feedforward=128, dropout=0.1, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
            self.fc = nn.Linear(64, num_classes)

        def forward(self, x):
            return self.fc(self.encoder(self.pos(self.embed(_rows(x)))).mean(1))
    return RowTransformer()


#: name -> (builder(num_classes, channels), default optimizer, default learning rate)
MODELS = {
    "tudui": (_tudui, "adam", 1e-3),
    "lenet": (_lenet, "adam", 1e-3),
    "mlp": (_mlp, "adam", 1e-3),
    "lstm": (_recurrent("LSTM"), "adam", 2e-3),
    "gru": (_recurrent("GRU"), "adam", 2e-3),
    "transformer": (_transformer, "adam", 1e-3),
}


# ---------------------------------------------------------------------- data
def _digits(args):
    """scikit-learn's handwritten digits as 3x32x32 images (resized, grey repeated over 3 channels)."""
    from .vision import datasets, transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Resize(32, antialias=True),
                             transforms.Grayscale(num_output_channels=3)])
    try:
        train = datasets.Digits(train=True, transform=tf)
        test = datasets.Digits(train=False, transform=tf)
    except ImportError as e:
        raise TrainError(str(e)) from None
    return train, test, 10


def _cifar10(args):
    """CIFAR-10 from --data-dir, downloaded there when missing (and online)."""
    from .vision import datasets, transforms
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    root = args.data_dir
    if not os.path.isdir(os.path.join(root, "cifar-10-batches-py")) and args.no_download:
        raise TrainError(f"CIFAR-10 not found under --data-dir {root!r} (expected {root}/cifar-10-batches-py); "
                         "drop --no-download to fetch it")
    try:
        train = datasets.CIFAR10(root, train=True, transform=train_tf, download=not args.no_download)
        test = datasets.CIFAR10(root, train=False, transform=test_tf, download=False)
    except (RuntimeError, OSError) as e:
        raise TrainError(f"could not load CIFAR-10 from {root!r}: {e}") from None
    return train, test, 10


def _mnist_like(args, cls, mean, std):
    """MNIST or Fashion-MNIST from --data-dir (downloaded there when missing), as 3x32x32 images like the digits:
    the 28x28 gray image resized to 32x32, repeated over 3 channels and normalized."""
    from .vision import transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Resize(32, antialias=True),
                             transforms.Grayscale(num_output_channels=3),
                             transforms.Normalize((mean,) * 3, (std,) * 3)])
    root = args.data_dir
    raw = os.path.join(root, cls.__name__, "raw")
    if args.no_download and not os.path.isdir(raw):
        raise TrainError(f"{cls.__name__} not found under --data-dir {root!r} (expected {raw}); drop --no-download "
                         "to fetch it")
    try:
        train = cls(root, train=True, transform=tf, download=not args.no_download)
        test = cls(root, train=False, transform=tf, download=False)
    except (RuntimeError, OSError) as e:
        raise TrainError(str(e)) from None
    return train, test, 10


def _mnist(args):
    from .vision import datasets
    return _mnist_like(args, datasets.MNIST, 0.1307, 0.3081)


def _fashion_mnist(args):
    from .vision import datasets
    return _mnist_like(args, datasets.FashionMNIST, 0.2860, 0.3530)


DATASETS = {"digits": _digits, "cifar10": _cifar10, "mnist": _mnist, "fashion-mnist": _fashion_mnist}


# ---------------------------------------------------------------------- helpers
def _materialize(dataset):
    """Apply a deterministic dataset's transforms once and keep the tensors (cheap epochs afterwards)."""
    from . import stack, tensor
    from .utils.data import TensorDataset
    xs, ys = zip(*(dataset[i] for i in range(len(dataset))))
    return TensorDataset(stack(list(xs)), tensor(list(ys)))


def _check_writable_dir(path, what):
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".numtorch-write-test-{os.getpid()}")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError as e:
        raise TrainError(f"{what} {path!r} is not writable: {e.strerror or e}") from None


class _Progress:
    """A tqdm bar when tqdm is installed, otherwise one plain line per epoch."""

    def __init__(self, total, desc, enabled):
        self.bar = None
        self.desc = desc
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True)
            except ImportError:
                pass

    def update(self, n, **postfix):
        if self.bar is not None:
            self.bar.set_postfix(**postfix, refresh=False)
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _make_optimizer(name, params, lr):
    from . import optim
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    if name == "adamw":
        return optim.AdamW(params, lr=lr)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    raise TrainError(f"unknown optimizer {name!r}")


def evaluate(model, loader):
    """Held-out accuracy of ``model`` over ``loader``."""
    from . import no_grad
    model.eval()
    correct = total = 0
    with no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(1) == y).sum().item())
            total += len(y)
    model.train()
    return correct / max(total, 1)


# ---------------------------------------------------------------------- checkpoints
def _save_checkpoint(path, model, opt, state):
    import numtorch
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), **state}
    numtorch.save(ckpt, path)


def _load_checkpoint(path):
    import numtorch
    if not os.path.exists(path):
        raise TrainError(f"--resume: no checkpoint at {path!r}")
    try:
        ckpt = numtorch.load(path)
    except Exception as e:  # every load failure is a bad file from the user's point of view
        raise TrainError(f"cannot read checkpoint {path!r}: {e}") from None
    if not isinstance(ckpt, dict) or not {"model", "optimizer", "epoch"} <= set(ckpt):
        raise TrainError(f"{path!r} is not a numtorch-train checkpoint (expected keys model, optimizer, epoch)")
    return ckpt


def _resume_position(ckpt, path, batches_per_epoch):
    """Where a checkpoint resumes: ``(epoch, batches of it done, global step, history)``, each checked."""
    missing = [k for k in ("rng", "loader_rng") if k not in ckpt]
    if missing:
        raise TrainError(f"checkpoint {path!r} is incomplete: it has no {missing[0]!r} (random generator state)")

    def count(key, default, upper=None):
        value = ckpt.get(key, default)
        if type(value) is not int or value < 0 or (upper is not None and value > upper):
            limit = f"an int in [0, {upper}]" if upper is not None else "a non-negative int"
            raise TrainError(f"checkpoint {path!r} is corrupt or does not fit these settings: {key!r} must be "
                             f"{limit}, got {reprlib.repr(value)}")
        return value

    history = ckpt.get("history", [])
    if type(history) is not list:
        raise TrainError(f"checkpoint {path!r} is corrupt: 'history' must be a list, got {type(history).__name__}")
    # a batch count above this run's batches per epoch comes from other --limit/--batch-size settings
    return count("epoch", None), count("batch", 0, batches_per_epoch), count("global_step", 0), history


# ---------------------------------------------------------------------- main
def build_parser():
    p = argparse.ArgumentParser(prog="numtorch-train", description=__doc__.split("\n")[0])
    p.add_argument("--model", default="tudui", choices=sorted(MODELS), help="network to train (default tudui)")
    p.add_argument("--dataset", default="digits", choices=sorted(DATASETS),
                   help="digits (offline, scikit-learn; the default), or cifar10, mnist, fashion-mnist (read "
                        "from --data-dir, downloaded there when missing)")
    p.add_argument("--data-dir", default="./data", help="where datasets live or are downloaded to")
    p.add_argument("--no-download", action="store_true", help="never download; fail if the data is missing")
    p.add_argument("--epochs", type=int, default=6, help="epochs to train in total (default 6)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: per model)")
    p.add_argument("--optimizer", default=None, choices=["sgd", "adam", "adamw", "rmsprop"])
    p.add_argument("--lr-decay", type=float, default=0.75,
                   help="multiply the learning rate by this after every epoch (default 0.75; 1 keeps it fixed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--logdir", default=None, help="TensorBoard log directory (default runs/<model>-<dataset>)")
    p.add_argument("--checkpoint", default=None,
                   help="checkpoint file, written every epoch (default checkpoints/<model>-<dataset>.pth)")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training examples")
    p.add_argument("--no-graph", action="store_true", help="do not write the model graph to TensorBoard")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


class _Interrupted(Exception):
    """Ctrl-C, acted on at a point where the training state is consistent."""


class _DeferredInterrupt:
    """Turn the first Ctrl-C into a request that the loop honours between batches.

    A KeyboardInterrupt raised at an arbitrary moment can land inside ``opt.step()`` (some parameters updated,
    others not), after a step but before the position is recorded, or after the random generator was drawn for a
    batch that never finished; a checkpoint saved then would not resume to the uninterrupted run. So the
    handler only sets a flag, and :meth:`check` raises at the safe points. A second Ctrl-C raises
    KeyboardInterrupt at once (stop without saving). Outside the main thread signals cannot be caught: Ctrl-C
    then stays an immediate KeyboardInterrupt.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def check(self):
        if self.requested:
            raise _Interrupted


def _worker_ignores_ctrl_c(worker_id):
    """DataLoader workers leave Ctrl-C to the main process, which stops at the end of the current batch."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return _train(args)
    except TrainError as e:
        print(f"numtorch-train: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nnumtorch-train: interrupted before training started; nothing saved", file=sys.stderr)
        return 130


def _train(args):
    import numtorch
    from .utils.data import DataLoader, Subset

    if args.epochs < 1:
        raise TrainError(f"--epochs must be at least 1, got {args.epochs}")
    if args.batch_size < 1:
        raise TrainError(f"--batch-size must be at least 1, got {args.batch_size}")
    builder, default_opt, default_lr = MODELS[args.model]
    opt_name = args.optimizer or default_opt
    lr = args.lr if args.lr is not None else default_lr
    logdir = args.logdir or os.path.join("runs", f"{args.model}-{args.dataset}")
    ckpt_path = args.checkpoint or os.path.join("checkpoints", f"{args.model}-{args.dataset}.pth")
    _check_writable_dir(logdir, "log directory")
    _check_writable_dir(os.path.dirname(os.path.abspath(ckpt_path)), "checkpoint directory")

    numtorch.manual_seed(args.seed)
    train_set, test_set, num_classes = DATASETS[args.dataset](args)
    if args.dataset == "digits":
        train_set, test_set = _materialize(train_set), _materialize(test_set)
    if args.limit is not None:
        train_set = Subset(train_set, range(min(args.limit, len(train_set))))
    channels = train_set[0][0].shape[0]
    model = builder(num_classes, channels)
    opt = _make_optimizer(opt_name, model.parameters(), lr)
    loss_fn = numtorch.nn.CrossEntropyLoss()
    loader_gen = numtorch.Generator().manual_seed(args.seed)
    init = _worker_ignores_ctrl_c if args.workers else None
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=loader_gen,
                              num_workers=args.workers, worker_init_fn=init)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.workers, worker_init_fn=init)
    # Per-epoch decay depends only on the epoch index, so a resumed run follows the uninterrupted one exactly.
    sched = None if args.lr_decay == 1 else numtorch.optim.lr_scheduler.ExponentialLR(opt, gamma=args.lr_decay)

    start_epoch, skip_batches, global_step, history = 0, 0, 0, []
    epoch_rng = None
    if args.resume:
        ckpt = _load_checkpoint(ckpt_path)
        if ckpt.get("model_name", args.model) != args.model:
            raise TrainError(f"checkpoint {ckpt_path!r} is for model {ckpt.get('model_name')!r}, "
                             f"not {args.model!r}")
        try:
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["optimizer"])
            if sched is not None and "scheduler" in ckpt:
                sched.load_state_dict(ckpt["scheduler"])
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            raise TrainError(f"checkpoint {ckpt_path!r} does not fit model {args.model!r}: {e}") from None
        start_epoch, skip_batches, global_step, history = _resume_position(ckpt, ckpt_path, len(train_loader))
        epoch_rng = ckpt["loader_rng"]
        try:
            numtorch.Generator().set_state(epoch_rng)  # checked now, used when the epoch starts
            numtorch.set_rng_state(ckpt["rng"])
        except (RuntimeError, TypeError, ValueError) as e:
            raise TrainError(f"checkpoint {ckpt_path!r} holds a corrupt random generator state: {e}") from None
        if start_epoch >= args.epochs:
            print(f"checkpoint {ckpt_path} already holds {start_epoch} epochs (--epochs {args.epochs}); "
                  "nothing to do")
            return 0
        print(f"resuming from {ckpt_path}: epoch {start_epoch + 1}, batch {skip_batches}")

    writer = _open_writer(logdir)
    if writer is not None and not args.no_graph and not args.resume:
        writer.add_graph(model, train_set[0][0].unsqueeze(0))
    print(f"numtorch-train: {args.model} on {args.dataset} ({len(train_set)} train / {len(test_set)} test), "
          f"{opt_name} lr={lr}, batch {args.batch_size}, {args.epochs} epochs", flush=True)

    def state(epoch, batch, rng_at_epoch_start):
        return {"epoch": epoch, "batch": batch, "global_step": global_step, "history": history,
                **({"scheduler": sched.state_dict()} if sched is not None else {}),
                "rng": numtorch.get_rng_state(), "loader_rng": rng_at_epoch_start, "model_name": args.model,
                "dataset": args.dataset}

    acc = float("nan")
    t_begin = time.perf_counter()
    # Where --resume would continue from: (epoch, batches of it done, loader generator state at its start).
    resume_at = None
    stop = _DeferredInterrupt()
    try:
        with stop:
            for epoch in range(start_epoch, args.epochs):
                if epoch_rng is not None:
                    loader_gen.set_state(epoch_rng)
                epoch_rng = loader_gen.get_state()
                done = skip_batches  # batches of this epoch already trained on (a resumed epoch skips them)
                resume_at = (epoch, done, epoch_rng)
                model.train()
                bar = _Progress(len(train_loader), f"epoch {epoch + 1}/{args.epochs}", not args.no_progress)
                seen, loss_sum, t0 = 0, 0.0, time.perf_counter()
                for batch, (x, y) in enumerate(train_loader):
                    if batch < skip_batches:
                        continue
                    loss = loss_fn(model(x), y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    done = batch + 1
                    resume_at = (epoch, done, epoch_rng)
                    global_step += 1
                    loss_v = loss.item()
                    seen += len(y)
                    loss_sum += loss_v * len(y)
                    if writer is not None:
                        writer.add_scalar("train/loss", loss_v, global_step)
                        writer.add_scalar("train/lr", opt.param_groups[0]["lr"], global_step)
                    bar.update(1, loss=f"{loss_v:.4f}", img_s=f"{seen / max(time.perf_counter() - t0, 1e-9):.0f}")
                    stop.check()                    # safe point: the batch is done and recorded
                bar.close()
                stop.check()                        # safe point: every batch done, evaluation not begun
                acc = evaluate(model, test_loader)
                if sched is not None:
                    sched.step()
                skip_batches = 0
                epoch_rng = None
                dt = time.perf_counter() - t0
                mean_loss = loss_sum / max(seen, 1)
                history.append({"epoch": epoch + 1, "loss": mean_loss, "accuracy": acc})
                if writer is not None:
                    writer.add_scalar("train/epoch_loss", mean_loss, epoch + 1)
                    writer.add_scalar("test/accuracy", acc, epoch + 1)
                    writer.flush()
                resume_at = (epoch + 1, 0, loader_gen.get_state())
                _save_checkpoint(ckpt_path, model, opt, state(*resume_at))
                print(f"epoch {epoch + 1}/{args.epochs}: loss {mean_loss:.4f}, held-out accuracy {acc:.4f}, "
                      f"{seen / dt if dt > 0 else math.inf:.0f} images/s", flush=True)
                stop.check()                        # safe point: the epoch is checkpointed
    except _Interrupted:
        _save_checkpoint(ckpt_path, model, opt, state(*resume_at))
        epoch, done, _ = resume_at
        print(f"\ninterrupted: saved {ckpt_path} (epoch {epoch + 1}, {done} of {len(train_loader)} batches done); "
              "continue with --resume", flush=True)
        if writer is not None:
            writer.close()
        return 130
    except KeyboardInterrupt:
        print("\nnumtorch-train: interrupted again; stopped without saving (the last saved checkpoint is intact)",
              file=sys.stderr, flush=True)
        if writer is not None:
            writer.close()
        return 130
    total = time.perf_counter() - t_begin
    if writer is not None:
        writer.close()
    print(f"done in {total:.1f} s: held-out accuracy {acc:.4f}; checkpoint {ckpt_path}")
    if writer is not None:
        print(f"TensorBoard logs in {logdir}; view them with:  tensorboard --logdir {logdir}")
    return 0


def _open_writer(logdir):
    try:
        from .utils.tensorboard import SummaryWriter
        return SummaryWriter(logdir)
    except ImportError as e:
        print(f"numtorch-train: TensorBoard logging off ({e})", file=sys.stderr)
        return None


if __name__ == "__main__":
    sys.exit(main())
