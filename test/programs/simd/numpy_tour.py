"""python3-numpy (Debian's i386 build: SSE2 baseline, LAPACK through libgfortran; issue 10):
import and a small computation of each kind, printed in full precision so any wrong bit
shows. The test sets NPY_DISABLE_CPU_FEATURES on both sides so the native run uses the
same SSE2 kernels as the engine (numpy dispatches float32 exp/log/sin and sorting to AVX2
and AVX-512 where the CPU has them, whose results may differ in the last bit)."""
import numpy as np

np.set_printoptions(floatmode="unique")  # shortest round-tripping digits: every bit shows

print(np.__version__, np.arange(10).sum(), np.dtype(np.intp).itemsize)
a = np.linspace(0.0, 1.0, 7)
print(repr(a), repr(np.sin(a)), repr(np.exp(a)), repr(np.log1p(a)))
f = np.linspace(-3, 3, 11, dtype=np.float32)
print(repr(np.exp(f)), repr(np.tanh(f)), repr(np.sqrt(np.abs(f))), f.sum(dtype=np.float32).item())
m = np.array([[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]])
print(repr(np.linalg.inv(m)), repr(np.linalg.det(m)), repr(np.linalg.solve(m, [1.0, 2.0, 3.0])))
w, v = np.linalg.eigh(m)
print(repr(w), repr(np.abs(v)))
print(repr(np.linalg.svd(m, compute_uv=False)), repr(m @ m @ m))
rng = np.random.default_rng(12345)
x = rng.standard_normal(1000)
print(repr(x[:4]), repr(x.mean()), repr(x.std()), repr(np.median(x)), repr(np.percentile(x, [5, 95])))
print(repr(np.sort(rng.integers(0, 1000, 12))), repr(np.argsort(x)[:6]), repr(np.cumsum(np.arange(1, 11, dtype=np.int16) ** 3)))
print(repr(np.fft.fft(np.array([1.0, 2.0, 0.0, -1.0, 3.0, 0.5, 0.25, 4.0]))))
i8 = np.array([100, -100, 127, -128], dtype=np.int8)
print(repr(i8 + np.int8(100)), repr(np.clip(i8, -50, 50)), repr(np.uint8(250) + np.arange(10, dtype=np.uint8)))
print(repr(np.array([np.nan, np.inf, -0.0, 1e-310, 5e-324]) * 2), repr(np.nanmax([1.0, np.nan, 3.0])), np.isnan(np.float32('nan')))
print(repr(np.polyfit([0, 1, 2, 3], [1.0, 3.1, 4.9, 7.2], 1)), repr(np.convolve([1, 2, 3], [0, 1, 0.5])))
s = np.array(['numpy', 'runs', 'on', 'webx86'])
print(repr(np.char.upper(s)), repr(np.unique(np.array([3, 1, 2, 3, 1]), return_counts=True)))
