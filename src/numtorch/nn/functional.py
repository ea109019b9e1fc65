"""``numtorch.nn.functional``: the functional forms of every layer, under torch's names and signatures.

Each op family lives in ``numtorch/ops/<family>.py``; this module only gathers them.
"""
