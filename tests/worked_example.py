"""The worked sigmoid example's numbers by hand, shared by the drawing and player tests.

f = sigmoid(w0*x0 + w1*x1 + w2) at w = (2, -3, -3), x = (-1, -2): z = -2 + 6 - 3 = 1,
f = sigmoid(1) = 0.7311, df/dz = f(1 - f) = 0.1966, so df/dw0 = x0 * 0.1966 = -0.1966,
df/dx0 = w0 * 0.1966 = 0.3932, df/dw1 = x1 * 0.1966 = -0.3932, df/dx1 = w1 * 0.1966 = -0.5898,
and every sum passes 0.1966 on unchanged.
"""

# label -> (data, grad) as the drawings write them (4 significant digits).
HAND = {
    "w0": ("2", "-0.1966"),
    "x0": ("-1", "0.3932"),
    "w0x0": ("-2", "0.1966"),
    "w1": ("-3", "-0.3932"),
    "x1": ("-2", "-0.5898"),
    "w1x1": ("6", "0.1966"),
    "s": ("4", "0.1966"),
    "w2": ("-3", "0.1966"),
    "z": ("1", "0.1966"),
    "f": ("0.7311", "1"),
}
