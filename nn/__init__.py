"""nn: a tiny neural-network layer built only from ``Value`` arithmetic.

    >>> from nn import MLP
    >>> model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    >>> len(model.parameters())      # (2+1)*16 + (16+1)*16 + (16+1)*1
    337

Losses live in ``nn.losses``, data sets and mini-batches in ``nn.data``, the
training loop ``fit`` in ``nn.train``; ``python -m nn`` trains on two-moons.
"""

from nn.module import ACTIVATIONS, MLP, Layer, Module, Neuron, load

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron", "load"]
