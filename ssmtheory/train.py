"""A small jitted optax training loop for plain-pytree models.

``fit`` runs minibatch training of ``loss_fn(params, xb, yb) -> scalar``:

* one epoch = ``n // batch_size`` minibatches drawn from a permutation of the ``n`` examples;
  the permutation of epoch ``e`` is ``jax.random.permutation(fold_in(PRNGKey(seed), e), n)``,
  so the same ``seed`` gives bit-identical histories.  The last incomplete batch of each epoch
  is **dropped** (every step sees exactly ``batch_size`` examples; the dropped examples change
  from epoch to epoch).
* the update step (``value_and_grad`` + optional ``optax.clip_by_global_norm`` + optimizer
  update) is wrapped in a ``jax.lax.scan`` over the minibatches of one or more epochs and
  compiled once per ``fit`` call.  Without ``eval_data`` several short epochs are fused into
  one compiled call (fewer host round trips); the history is still per epoch.
* ``steps`` (total optimizer steps) overrides ``epochs``; the last epoch may then be partial
  (its remaining scan iterations are skipped with ``lax.cond``).
* divergence: a step whose loss, gradient norm or updated parameters are non-finite marks the
  run as ``diverged``.  With ``stop_on_nan=True`` (default) that update is not applied and no
  further step is taken, so ``result.params`` are the last finite parameters.

History (``result.history``, dict of lists, one entry per epoch that took at least one step):
``"step"`` (total optimizer steps applied at the end of the epoch), ``"epoch"`` (1-based),
``"train_loss"`` (mean minibatch loss of the epoch's finite steps, evaluated at the
pre-update parameters), ``"grad_norm"`` (mean global gradient norm before clipping) and,
with ``eval_data``, ``"eval_loss"`` and ``"eval_step"`` (evaluated every ``eval_every``
epochs, default every epoch, and after the final epoch).  Per-step values are in
``result.step_loss`` / ``result.step_grad_norm``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory._validate import check_choice, check_int, is_concrete

__all__ = ["FitResult", "fit", "mse", "cross_entropy", "accuracy", "make_loss", "evaluate"]


# --------------------------------------------------------------------------- losses


def mse(pred, y):
    """Mean squared error ``mean((pred - y)^2)``; shapes must match exactly."""
    if tuple(pred.shape) != tuple(jnp.shape(y)):
        raise ValueError(f"y must have the shape of pred {tuple(pred.shape)}, got {tuple(jnp.shape(y))}")
    return jnp.mean((pred - y) ** 2)


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy for integer ``labels`` of shape ``logits.shape[:-1]``."""
    if tuple(logits.shape[:-1]) != tuple(jnp.shape(labels)):
        raise ValueError(f"labels must have shape {tuple(logits.shape[:-1])}, got {tuple(jnp.shape(labels))}")
    _check_label_range(labels, logits.shape[-1])
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(labels).astype(jnp.int32)))


def _check_label_range(labels, n_classes):
    """Concrete integer labels must lie in [0, n_classes): JAX would silently clamp or wrap them."""
    if is_concrete(labels):
        lab = np.asarray(labels)
        if lab.size and (lab.min() < 0 or lab.max() >= n_classes):
            raise ValueError(f"labels must lie in [0, {n_classes}), got values in [{lab.min()}, {lab.max()}]")


def accuracy(logits, labels):
    """Fraction of positions where ``argmax(logits, -1) == labels``."""
    if tuple(logits.shape[:-1]) != tuple(jnp.shape(labels)):
        raise ValueError(f"labels must have shape {tuple(logits.shape[:-1])}, got {tuple(jnp.shape(labels))}")
    return jnp.mean((jnp.argmax(logits, axis=-1) == jnp.asarray(labels)).astype(jnp.float32))


def make_loss(apply_fn: Callable, cfg, kind: str = "mse") -> Callable:
    """``loss_fn(params, xb, yb) = loss(apply_fn(params, xb, cfg), yb)`` with ``kind`` in {"mse", "ce"}."""
    check_choice(kind, "kind", ("mse", "ce"))
    base = mse if kind == "mse" else cross_entropy

    def loss_fn(params, xb, yb):
        return base(apply_fn(params, xb, cfg), yb)

    return loss_fn


# --------------------------------------------------------------------------- fit


@dataclass
class FitResult:
    params: Any
    history: dict
    diverged: bool
    opt_state: Any = None
    steps: int = 0  # optimizer steps actually applied
    step_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    step_grad_norm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wall_s: float = 0.0


def _check_data(data, name):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{name} must be a pair (X, Y)")
    X, Y = data
    if not hasattr(X, "shape"):
        X = np.asarray(X)
    if not hasattr(Y, "shape"):
        Y = np.asarray(Y)
    if X.ndim < 1 or Y.ndim < 1:
        raise ValueError(f"{name}: X and Y must have a leading example axis")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"{name}: X and Y must have the same first dimension, got {X.shape[0]} and {Y.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} must contain at least one example")
    for arr, nm in ((X, "X"), (Y, "Y")):
        if np.dtype(arr.dtype).kind in "fc" and not bool(np.all(np.isfinite(np.asarray(arr)))):
            raise ValueError(f"{name}: {nm} contains NaN or inf")
    return jnp.asarray(X), jnp.asarray(Y)


def _tree_all_finite(tree):
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def evaluate(loss_fn: Callable, params, data, batch_size: int = 1024) -> float:
    """Example-weighted mean of ``loss_fn`` over ``data`` in chunks of ``batch_size`` (jitted)."""
    X, Y = _check_data(data, "data")
    batch_size = check_int(batch_size, "batch_size")
    f = jax.jit(loss_fn)
    n = X.shape[0]
    tot = 0.0
    for s in range(0, n, batch_size):
        e = min(n, s + batch_size)
        tot += float(f(params, X[s:e], Y[s:e])) * (e - s)
    return tot / n


def fit(
    loss_fn: Callable,
    params,
    data,
    optimizer: optax.GradientTransformation | None = None,
    steps: int | None = None,
    epochs: int = 5,
    batch_size: int = 64,
    seed: int = 0,
    eval_data=None,
    eval_every: int | None = None,
    clip_norm: float | None = None,
    stop_on_nan: bool = True,
    verbose: bool = False,
) -> FitResult:
    """Train ``params`` by minimizing ``loss_fn(params, xb, yb)`` on ``data = (X, Y)``.

    ``optimizer`` defaults to ``optax.adamw(1e-3)``.  ``eval_every`` is in epochs.
    See the module docstring for batching, determinism and divergence handling.
    """
    if not callable(loss_fn):
        raise ValueError("loss_fn must be callable")
    X, Y = _check_data(data, "data")
    n = int(X.shape[0])
    if np.dtype(Y.dtype).kind in "iu" and np.asarray(Y).size and int(np.asarray(Y).min()) < 0:
        raise ValueError(f"data labels must be >= 0 (integer class indices), got minimum {int(np.asarray(Y).min())}")
    batch_size = check_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size must be <= number of examples ({n}), got {batch_size}")
    nb = n // batch_size
    if steps is not None:
        total_steps = check_int(steps, "steps")
    else:
        total_steps = check_int(epochs, "epochs") * nb
    n_epochs = -(-total_steps // nb)
    seed = check_int(seed, "seed", minimum=0)
    if eval_data is not None:
        Xe, Ye = _check_data(eval_data, "eval_data")
        eval_every = 1 if eval_every is None else check_int(eval_every, "eval_every")
    elif eval_every is not None:
        check_int(eval_every, "eval_every")
    if clip_norm is not None and not (np.isfinite(clip_norm) and clip_norm > 0):
        raise ValueError(f"clip_norm must be positive and finite, got {clip_norm!r}")
    if optimizer is None:
        optimizer = optax.adamw(1e-3)
    if not hasattr(optimizer, "init") or not hasattr(optimizer, "update"):
        raise ValueError("optimizer must be an optax.GradientTransformation")
    if clip_norm is not None:
        optimizer = optax.chain(optax.clip_by_global_norm(float(clip_norm)), optimizer)

    # epochs fused per compiled call (only without eval data: eval needs end-of-epoch params)
    k = 1 if eval_data is not None else max(1, min(n_epochs, 32 // nb))
    chunk = k * nb

    vg = jax.value_and_grad(loss_fn)
    rec_dt = jnp.result_type(float)  # float64 when jax_enable_x64 is on, else float32

    def run_chunk(params, opt_state, dead, X, Y, key, epoch0, n_active):
        epochs_ = epoch0 + jnp.arange(k)
        perms = jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n))(epochs_)
        idx = perms[:, : nb * batch_size].reshape(chunk, batch_size)

        def body(carry, inp):
            params, opt_state, dead = carry
            i, bidx = inp
            active = i < n_active
            if stop_on_nan:
                active = active & ~dead

            def do(args):
                p, s = args
                loss, g = vg(p, X[bidx], Y[bidx])
                gn = optax.tree.norm(g)
                upd, s2 = optimizer.update(g, s, p)
                p2 = optax.apply_updates(p, upd)
                ok = jnp.isfinite(loss) & jnp.isfinite(gn) & _tree_all_finite(p2)
                if stop_on_nan:
                    p2 = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), p2, p)
                    s2 = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), s2, s)
                return p2, s2, jnp.asarray(loss, rec_dt), jnp.asarray(gn, rec_dt), ok

            def skip(args):
                p, s = args
                nan = jnp.asarray(jnp.nan, rec_dt)
                return p, s, nan, nan, jnp.asarray(True)

            p, s, loss, gn, ok = jax.lax.cond(active, do, skip, (params, opt_state))
            return (p, s, dead | ~ok), (loss, gn, ok, active)

        (params, opt_state, dead), outs = jax.lax.scan(
            body, (params, opt_state, dead), (jnp.arange(idx.shape[0]), idx)
        )
        return params, opt_state, dead, outs

    run_chunk = jax.jit(run_chunk)
    eval_fn = jax.jit(loss_fn) if eval_data is not None else None

    def do_eval(p):
        ne = int(Xe.shape[0])
        eb = max(batch_size, min(ne, 1024))
        tot = 0.0
        for s in range(0, ne, eb):
            e = min(ne, s + eb)
            tot += float(eval_fn(p, Xe[s:e], Ye[s:e])) * (e - s)
        return tot / ne

    key = jax.random.PRNGKey(seed)
    t0 = time.perf_counter()
    opt_state = optimizer.init(params)
    dead = jnp.asarray(False)
    hist = {"step": [], "epoch": [], "train_loss": [], "grad_norm": []}
    if eval_data is not None:
        hist["eval_loss"], hist["eval_step"] = [], []
    step_loss, step_gn = [], []
    done = 0
    diverged = False
    epoch = 0
    while epoch < n_epochs and not (diverged and stop_on_nan):
        n_ep = min(k, n_epochs - epoch)
        n_active = min(chunk, n_ep * nb, total_steps - done)
        params, opt_state, dead, (loss, gn, ok, active) = run_chunk(
            params, opt_state, dead, X, Y, key, jnp.asarray(epoch, jnp.int32), jnp.asarray(n_active, jnp.int32)
        )
        loss, gn, ok, active = (np.asarray(a) for a in (loss, gn, ok, active))
        for j in range(n_ep):
            sl = slice(j * nb, (j + 1) * nb)
            took = active[sl]
            good = took & ok[sl]
            bad = took & ~ok[sl]
            if bad.any():
                diverged = True
            applied = int(good.sum()) if stop_on_nan else int(took.sum())
            if took.sum() == 0 or (stop_on_nan and applied == 0):
                break
            done += applied
            sel = good if stop_on_nan else took
            step_loss.extend(loss[sl][sel].tolist())
            step_gn.extend(gn[sl][sel].tolist())
            epoch_no = epoch + j + 1
            hist["step"].append(done)
            hist["epoch"].append(epoch_no)
            hist["train_loss"].append(float(np.mean(loss[sl][sel])))
            hist["grad_norm"].append(float(np.mean(gn[sl][sel])))
            if verbose:
                print(f"epoch {epoch_no:4d} step {done:6d} train_loss {hist['train_loss'][-1]:.5g}"
                      f" grad_norm {hist['grad_norm'][-1]:.3g}" + (" DIVERGED" if diverged else ""))
            if diverged and stop_on_nan:
                break
        epoch += n_ep
        if eval_data is not None and hist["step"] and (
            epoch % eval_every == 0 or epoch >= n_epochs or (diverged and stop_on_nan)
        ):
            if not hist["eval_step"] or hist["eval_step"][-1] != done:
                hist["eval_loss"].append(do_eval(params))
                hist["eval_step"].append(done)
                if verbose:
                    print(f"           eval_loss {hist['eval_loss'][-1]:.5g}")
    return FitResult(
        params=params,
        history=hist,
        diverged=bool(diverged),
        opt_state=opt_state,
        steps=done,
        step_loss=np.asarray(step_loss),
        step_grad_norm=np.asarray(step_gn),
        wall_s=time.perf_counter() - t0,
    )
