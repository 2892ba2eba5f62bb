"""Linear least squares accumulated block by block: ridge solutions, and ridge solutions whose
quadratic-form parameters are kept positive semidefinite (accelerated projected gradient).

A loss linear in its parameters θ = (c, upper triangle of C) per block of features gives
targets y ≈ X θ; the normal equations XᵀX, Xᵀy are summed over as many row blocks as come.
"""

import numpy as np


class NormalEquations:
    """XᵀX, Xᵀy, yᵀy and the row count of every (X, y) added so far."""

    def __init__(self):
        self.a = self.b = None
        self.yy = 0.0
        self.rows = 0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """Rows x (R, P) with targets y (R,)."""
        if self.a is None:
            self.a, self.b = np.zeros((x.shape[1],) * 2), np.zeros(x.shape[1])
        self.a += x.T @ x
        self.b += x.T @ y
        self.yy += y @ y
        self.rows += len(y)

    def solve(self, ridge: float) -> np.ndarray:
        """(P,) minimiser of ‖Xθ - y‖²/R + λ‖θ̃‖², θ̃ in units of each column's RMS."""
        scale = np.sqrt(np.maximum(np.diag(self.a), 1e-300) / self.rows)
        a_s = self.a / np.outer(scale, scale)
        theta_s = np.linalg.solve(a_s + ridge * self.rows * np.eye(len(scale)), self.b / scale)
        return theta_s / scale

    def solve_psd(self, ridge: float, scales: list, quadratic: int | None = None,
                  iterations: int = 3000) -> np.ndarray:
        """Ridge solution in which each block's (c, triu C) keeps C positive semidefinite
        (FISTA with projection onto the PSD cone). scales: per block, the (F,) standard
        deviations of its features; quadratic: C couples the first this many features (None:
        all F); the problem is solved in units where every feature is dimensionless and C's
        off-diagonal entries carry √2, so that clipping eigenvalues at 0 is the Euclidean
        projection."""
        f = len(scales[0])
        q = f if quadratic is None else quadratic
        tri = np.triu_indices(q)
        root2 = np.where(tri[0] == tri[1], 1.0, np.sqrt(2))
        s = np.concatenate([np.concatenate([sc, np.outer(sc[:q], sc[:q])[tri] * root2])
                            for sc in scales])
        a = self.a / np.outer(s, s) + ridge * self.rows * np.eye(len(s))
        b = self.b / s
        step = 1.0 / np.linalg.eigvalsh(a)[-1]
        per = len(s) // len(scales)

        def project(u):
            out = u.copy()
            for k in range(len(scales)):
                block = slice(k * per + f, (k + 1) * per)
                m = np.zeros((q, q))
                m[tri] = out[block] / root2
                w, v = np.linalg.eigh(m + np.triu(m, 1).T)
                out[block] = ((v * np.maximum(w, 0.0)) @ v.T)[tri] * root2
            return out

        u = project(np.linalg.solve(a, b))
        y, t = u.copy(), 1.0
        for _ in range(iterations):
            nxt = project(y - step * (a @ y - b))
            t_next = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            y = nxt + (t - 1) / t_next * (nxt - u)
            u, t = nxt, t_next
        return u / s

    def rmse(self, theta: np.ndarray) -> float:
        """Root-mean-square residual of θ over every row added."""
        sse = theta @ self.a @ theta - 2 * theta @ self.b + self.yy
        return float(np.sqrt(max(sse, 0.0) / self.rows))
