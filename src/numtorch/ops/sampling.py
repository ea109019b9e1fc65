"""(to be written)"""
__all__ = []
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = []
