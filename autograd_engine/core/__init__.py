"""The engine core: Value, the op table, the backward and forward sweeps, grad mode."""
