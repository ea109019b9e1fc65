"""Switches for gradient recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each works as a context manager and as a function decorator, as in torch.
"""
import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "GradMode"]


class GradMode:
    """The global recording switch the autograd engine reads (``GradMode.enabled``)."""
    enabled = True
    inference = False


def is_grad_enabled():
    """Whether operations on tensors that require grad are being recorded."""
    return GradMode.enabled


def is_inference_mode_enabled():
    return GradMode.inference


class _GradSwitch:
    """Base for the grad-mode context managers; subclasses say what ``enabled`` becomes."""

    def _target(self):
        raise NotImplementedError

    def __enter__(self):
        self._prev = (GradMode.enabled, GradMode.inference)
        GradMode.enabled, GradMode.inference = self._target()

    def __exit__(self, *exc):
        GradMode.enabled, GradMode.inference = self._prev
        return False

    def clone(self):
        return type(self)()

    def __call__(self, fn):
        if inspect.isclass(fn):
            raise TypeError(f"{type(self).__name__} decorator cannot decorate a class")
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    with self.clone():
                        try:
                            response = gen.send(request)
                        except StopIteration as e:
                            return e.value
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradSwitch):
    """Context manager and decorator that stops recording operations for autograd.

    Results computed inside have ``requires_grad=False`` even when their inputs require grad.
    Use it for inference and for parameter updates.

    Example::

        >>> x = numtorch.ones(2, requires_grad=True)
        >>> with numtorch.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __init__(self, orig_func=None):
        # torch allows ``@no_grad`` without parentheses only through ``__new__`` tricks; support the usual form.
        pass

    def _target(self):
        return False, GradMode.inference


class enable_grad(_GradSwitch):
    """Context manager and decorator that turns recording back on inside a ``no_grad`` block."""

    def _target(self):
        return True, GradMode.inference


class set_grad_enabled(_GradSwitch):
    """Turn recording on or off: ``set_grad_enabled(False)`` as a call, a ``with`` block or a decorator.

    As a plain call it switches at once; as a ``with`` block it restores the previous mode on exit.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._prev = (GradMode.enabled, GradMode.inference)
        self.mode = mode
        GradMode.enabled = mode

    def _target(self):
        return self.mode, GradMode.inference

    def __enter__(self):
        pass  # the constructor already switched; __exit__ restores what was there before it

    def __call__(self, fn):
        GradMode.enabled = self._prev[0]  # used as a decorator: do not switch at definition time
        return super().__call__(fn)

    def clone(self):
        return set_grad_enabled(self.mode)


class inference_mode(_GradSwitch):
    """Like ``no_grad`` (numtorch keeps no extra bookkeeping that inference mode could skip)."""

    def __init__(self, mode=True):
        self.mode = mode

    def _target(self):
        if self.mode:
            return False, True
        return GradMode.enabled, False

    def clone(self):
        return inference_mode(self.mode)
