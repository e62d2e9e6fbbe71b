"""Multinomial logistic regression with an L2 penalty, fitted by L-BFGS, in numpy.

Only the training command uses it; small enough (a few thousand headlines, ~100k sparse
features) that a full-batch quasi-Newton fit takes seconds, and deterministic: the same data
gives the same weights, with no random initialisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.sentiment.features import csr_dot

Csr = tuple[np.ndarray, np.ndarray, np.ndarray]
LossGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass
class Fitted:
    coef: np.ndarray  # (features, classes)
    intercept: np.ndarray  # (classes,)
    iterations: int


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def predict_proba(x: Csr, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    return _softmax(csr_dot(*x, coef) + intercept)


def fit(
    x: Csr,
    y: np.ndarray,
    n_features: int,
    *,
    n_classes: int = 3,
    l2: float = 1.0,
    max_iter: int = 400,
    memory: int = 10,
    tol: float = 1e-5,
) -> Fitted:
    """Minimise mean cross-entropy + l2 / (2 n) * |coef|^2 (the intercept is not penalised)."""
    indptr, indices, data = x
    n = len(indptr) - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    onehot = np.eye(n_classes)[y]
    size = n_features * n_classes

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef = theta[:size].reshape(n_features, n_classes)
        intercept = theta[size:]
        z = csr_dot(indptr, indices, data, coef) + intercept
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        loss = float((log_norm - (z * onehot).sum(axis=1)).mean())
        loss += l2 / (2 * n) * float((coef * coef).sum())
        residual = (np.exp(z - log_norm[:, None]) - onehot) / n
        grad_coef = np.empty_like(coef)
        for k in range(n_classes):
            grad_coef[:, k] = np.bincount(
                indices, weights=data * residual[rows, k], minlength=n_features
            )
        grad_coef += l2 / n * coef
        return loss, np.concatenate([grad_coef.ravel(), residual.sum(axis=0)])

    theta = np.zeros(size + n_classes)
    theta, iterations = _lbfgs(loss_grad, theta, max_iter=max_iter, memory=memory, tol=tol)
    return Fitted(
        theta[:size].reshape(n_features, n_classes).astype(np.float32),
        theta[size:].astype(np.float32),
        iterations,
    )


def _lbfgs(
    f: LossGrad, theta: np.ndarray, *, max_iter: int, memory: int, tol: float
) -> tuple[np.ndarray, int]:
    """Limited-memory BFGS (two-loop recursion) with a backtracking Armijo line search."""
    loss, grad = f(theta)
    steps: list[tuple[np.ndarray, np.ndarray, float]] = []
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        if float(np.abs(grad).max()) < tol:
            break
        direction = -grad
        alphas = []
        for s, yv, rho in reversed(steps):
            alpha = rho * float(s @ direction)
            alphas.append(alpha)
            direction = direction - alpha * yv
        if steps:
            s, yv, _ = steps[-1]
            direction = direction * (float(s @ yv) / float(yv @ yv))
        for (s, yv, rho), alpha in zip(steps, reversed(alphas), strict=True):
            beta = rho * float(yv @ direction)
            direction = direction + (alpha - beta) * s
        slope = float(grad @ direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            steps.clear()
            direction, slope = -grad, -float(grad @ grad)
        step = 1.0 if steps else min(1.0, 1.0 / float(np.abs(grad).sum()))
        while True:
            new_theta = theta + step * direction
            new_loss, new_grad = f(new_theta)
            if new_loss <= loss + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, yv = new_theta - theta, new_grad - grad
        sy = float(s @ yv)
        if sy > 1e-12:
            steps.append((s, yv, 1.0 / sy))
            if len(steps) > memory:
                steps.pop(0)
        improved = loss - new_loss
        theta, loss, grad = new_theta, new_loss, new_grad
        if 0 <= improved < 1e-9 * max(1.0, abs(loss)):
            break
    return theta, iteration
