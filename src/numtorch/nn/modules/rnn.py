"""(to be written)"""
from .module import Module  # noqa: F401

__all__ = []
