"""The package's one training engine: a jitted, ``vmap``-ed optax loop over a population of models.

``fit_population(loss_fn, params, data, steps, opt=OptimizerSpec(...))`` trains ``M`` members at once
(every ``params`` leaf has a leading member axis ``M``); :func:`fit` is a population of one with per-epoch
history.  Everything that changes the compiled program is a hashable static argument (the loss function
object, the :class:`OptimizerSpec` with its learning rate removed, the step count, the batch size, the
sampling rule), so a second call with the same shapes and spec does not re-trace; the learning rate is
traced (a scalar, or one per member).

Data and batches (one member's view):

* ``data=None``: ``loss_fn(params[, aux])`` (a population loss with no data, e.g. an ascent objective);
* ``data=(X, Y)``: ``loss_fn(params, xb, yb[, aux])``; ``X``, ``Y`` share a leading example axis ``n``
  (``shared`` by all members) or have a leading member axis first (``member_data=True``: ``(M, n, ...)``).
  ``batch_size=None`` is full batch.  Otherwise ``sampling="epoch"`` uses the permutation
  ``jax.random.permutation(fold_in(key, e), n)`` of epoch ``e`` cut into ``n // batch_size`` batches (the
  last incomplete batch is dropped), and ``sampling="step"`` draws ``batch_size`` examples without
  replacement at step ``t`` with ``jax.random.choice(fold_in(key, t), n, (batch_size,), replace=False)``.
  Member ``i`` uses ``keys[i]`` (default ``jax.random.split(PRNGKey(seed), M)``; :func:`fit` uses
  ``PRNGKey(seed)`` itself), so a member trained in a population equals the same member trained alone.
* ``aux``: a pytree with leading axis ``M`` of per-member hyper-parameters passed whole to ``loss_fn``.

One divergence guard: a step whose loss, gradient norm or updated parameters are non-finite is not
applied and the member is frozen from then on (``diverged[i] = True``; ``guard=False`` applies it anyway).
The loss is recorded at the pre-update parameters.

Optimizers come from optax, built inside the trace from an :class:`OptimizerSpec` (``adam``, ``adamw``,
``radam``, ``sgd``; constant, cosine or warmup-cosine schedule; global-norm clipping; weight decay with a
mask that exempts SSM parameters — eigenvalues and step sizes, recognised by their pytree key names
``OptimizerSpec.ssm_names`` — unless ``decay_ssm=True``, as state-spaces/s4 does).  A plain
``optax.GradientTransformation`` is accepted too (it is then part of the compile key: pass the same object
to reuse the compiled loop).
A mixed population takes a tuple of optimizers with ``opt_index`` (member ``i`` uses ``opt[opt_index[i]]``,
one compile for all).  Training may continue in chunks: pass a result's ``opt_state`` back with
``start_step`` (the global step of the next step) and it goes on exactly as one long call would, so a caller
can stop members (``frozen``) or lower their traced learning rate between chunks (ReduceLROnPlateau).

Losses: :data:`LOSSES` maps a name to ``loss(pred, y)`` (``"mse"``, ``"ce"``); :func:`make_loss` builds
``loss_fn(params, xb, yb)`` from a model's apply function (cached, so the same arguments give the same
function object and no re-trace).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory._validate import check_choice, check_int, check_positive, is_concrete

__all__ = ["FitResult", "PopulationResult", "OptimizerSpec", "LOSSES", "fit", "fit_population", "build_optimizer",
           "ssm_mask", "mse", "cross_entropy", "accuracy", "make_loss", "get_loss", "evaluate", "trace_count"]


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


#: The loss registry: name -> ``loss(pred, y)`` (scalar).
LOSSES: dict = {"mse": mse, "ce": cross_entropy}


def get_loss(kind: str) -> Callable:
    """The registered loss ``LOSSES[kind]`` (ValueError naming ``kind`` otherwise)."""
    check_choice(kind, "kind", tuple(LOSSES))
    return LOSSES[kind]


def make_loss(apply_fn: Callable, cfg, kind: str = "mse") -> Callable:
    """``loss_fn(params, xb, yb) = LOSSES[kind](apply_fn(params, xb, cfg), yb)``.

    Cached on ``(apply_fn, cfg, kind)`` when ``cfg`` is hashable (e.g. a frozen dataclass): the same
    arguments return the same function object, so :func:`fit` does not re-trace."""
    if not callable(apply_fn):
        raise ValueError("apply_fn must be callable")
    get_loss(kind)
    try:
        hash(cfg)
    except TypeError:
        return _make_loss(apply_fn, cfg, kind)
    return _make_loss_cached(apply_fn, cfg, kind)


def _make_loss(apply_fn, cfg, kind):
    base = LOSSES[kind]

    def loss_fn(params, xb, yb):
        return base(apply_fn(params, xb, cfg), yb)

    return loss_fn


_make_loss_cached = functools.lru_cache(maxsize=256)(_make_loss)


# --------------------------------------------------------------------------- optimizers

_SSM_NAMES = ("w", "im", "log_dt", "log_step", "Lambda", "Lambda_re", "Lambda_im", "nu_log", "theta_log",
              "nu", "th", "nu1", "nu2", "th1", "th2", "A_re", "A_im", "log_A_real", "A_log", "dt_log")


@dataclass(frozen=True)
class OptimizerSpec:
    """A hashable description of an optax optimizer (built inside the trace by :func:`build_optimizer`).

    ``name`` in {"adam", "adamw", "radam", "sgd"}; ``schedule`` in {"constant", "cosine", "warmup_cosine"}
    (``cosine``: ``optax.cosine_decay_schedule(lr, decay_steps)``; ``warmup_cosine``:
    ``optax.warmup_cosine_decay_schedule(0, lr, warmup_steps, decay_steps)``); ``weight_decay`` (decoupled,
    as ``optax.adamw``; with ``adam``/``radam``/``sgd`` it is added to the gradient before the update),
    applied to every leaf except SSM parameters (a pytree key in ``ssm_names``) unless ``decay_ssm``;
    ``clip``: global-norm clipping before the optimizer; ``momentum`` for sgd."""

    name: str = "adam"
    lr: float = 1e-3
    schedule: str = "constant"
    decay_steps: Optional[int] = None
    warmup_steps: int = 0
    weight_decay: float = 0.0
    clip: Optional[float] = None
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    momentum: Optional[float] = None
    decay_ssm: bool = False
    ssm_names: tuple = _SSM_NAMES

    def __post_init__(self):
        check_choice(self.name, "name", ("adam", "adamw", "radam", "sgd"))
        check_choice(self.schedule, "schedule", ("constant", "cosine", "warmup_cosine"))
        if not (isinstance(self.lr, (int, float)) and np.isfinite(self.lr) and self.lr >= 0):
            raise ValueError(f"lr must be a finite number >= 0, got {self.lr!r}")
        if self.schedule != "constant":
            check_int(self.decay_steps, "decay_steps")
        check_int(self.warmup_steps, "warmup_steps", minimum=0)
        if not (np.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be finite and >= 0, got {self.weight_decay!r}")
        if self.clip is not None:
            check_positive(self.clip, "clip")
        for nm in ("b1", "b2"):
            if not 0 <= getattr(self, nm) < 1:
                raise ValueError(f"{nm} must lie in [0, 1), got {getattr(self, nm)!r}")
        check_positive(self.eps, "eps")
        if self.momentum is not None and not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum!r}")
        if not isinstance(self.ssm_names, tuple) or not all(isinstance(s, str) for s in self.ssm_names):
            raise ValueError("ssm_names must be a tuple of strings")


def _key_name(k) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def ssm_mask(params, ssm_names: tuple = _SSM_NAMES):
    """Pytree of bools like ``params``: ``True`` where weight decay applies, ``False`` on SSM parameters
    (a leaf whose pytree path contains a key in ``ssm_names``)."""
    names = set(ssm_names)
    return jax.tree_util.tree_map_with_path(lambda path, _: not any(_key_name(k) in names for k in path), params)


def build_optimizer(spec: OptimizerSpec, lr=None) -> optax.GradientTransformation:
    """The optax transformation of ``spec``; ``lr`` (default ``spec.lr``) may be a traced scalar."""
    if not isinstance(spec, OptimizerSpec):
        raise ValueError("spec must be an OptimizerSpec")
    lr = spec.lr if lr is None else lr
    if spec.schedule == "constant":
        rate = lr
    else:  # lr times the unit schedule, so a traced lr works (optax's own tests `peak_value == 0` in Python)
        unit = (optax.cosine_decay_schedule(1.0, spec.decay_steps) if spec.schedule == "cosine"
                else optax.warmup_cosine_decay_schedule(0.0, 1.0, spec.warmup_steps, spec.decay_steps))

        def rate(count):
            return lr * unit(count)
    mask = None if spec.decay_ssm else functools.partial(ssm_mask, ssm_names=spec.ssm_names)
    if spec.name == "adamw":
        tx = optax.adamw(rate, b1=spec.b1, b2=spec.b2, eps=spec.eps, weight_decay=spec.weight_decay, mask=mask)
    else:
        if spec.name == "adam":
            tx = optax.adam(rate, b1=spec.b1, b2=spec.b2, eps=spec.eps)
        elif spec.name == "radam":
            tx = optax.radam(rate, b1=spec.b1, b2=spec.b2, eps=spec.eps)
        else:
            tx = optax.sgd(rate, momentum=spec.momentum)
        if spec.weight_decay:
            tx = optax.chain(optax.add_decayed_weights(spec.weight_decay, mask=mask), tx)
    if spec.clip is not None:
        tx = optax.chain(optax.clip_by_global_norm(float(spec.clip)), tx)
    return tx


# --------------------------------------------------------------------------- the loop (one member)

_TRACES = {"count": 0}


def trace_count() -> int:
    """How many times the engine's loop has been traced (compiled) in this process (for no-retrace tests)."""
    return _TRACES["count"]


def _tree_all_finite(tree):
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def _is_mixed(opt) -> bool:
    """A tuple of optimizers (an optax transformation is itself a NamedTuple, so test for ``init``)."""
    return isinstance(opt, tuple) and not hasattr(opt, "init")


def _tx_of(opt, lr, oi=None):
    if _is_mixed(opt):
        return _switch_tx(tuple(_tx_of(o, lr) for o in opt), oi)
    return build_optimizer(opt, lr) if isinstance(opt, OptimizerSpec) else opt


def _switch_tx(txs, oi):
    """One member's optimizer chosen from ``txs`` by the traced index ``oi`` (a mixed population compiles once).

    The state holds every optimizer's state; only the chosen one advances, and its update is the one applied,
    so a member equals the same member trained with ``txs[oi]`` alone."""

    def init(params):
        return tuple(tx.init(params) for tx in txs)

    def update(g, state, params=None):
        outs = [tx.update(g, s, params) for tx, s in zip(txs, state)]
        upd = jax.tree_util.tree_map(lambda *u: jnp.stack(u)[oi], *[o[0] for o in outs])
        new = tuple(jax.tree_util.tree_map(lambda a, b: jnp.where(oi == k, a, b), o[1], s)
                    for k, (o, s) in enumerate(zip(outs, state)))
        return upd, new

    return optax.GradientTransformation(init, update)


def _batch_index(key, t0, n_steps, n, batch_size, sampling):
    """``(n_steps, batch_size)`` example indices of steps ``t0 .. t0 + n_steps - 1`` (see module docstring)."""
    if sampling == "step":
        ts = t0 + jnp.arange(n_steps)
        return jax.vmap(lambda t: jax.random.choice(jax.random.fold_in(key, t), n, (batch_size,), replace=False))(ts)
    nb = n // batch_size  # n_steps is whole epochs; one epoch more covers a start inside an epoch (resume)
    epochs = t0 // nb + jnp.arange(n_steps // nb + 1)
    perms = jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n))(epochs)
    batches = perms[:, : nb * batch_size].reshape(-1, batch_size)
    return batches[t0 % nb + jnp.arange(n_steps)]


def _member_loss(loss_fn, p, X=None, Y=None, idx=None, aux=None, use_aux=False):
    args = () if X is None else ((X, Y) if idx is None else (X[idx], Y[idx]))
    return loss_fn(p, *args, *((aux,) if use_aux else ()))


def _member_run(cfg, p, s, dead, lr, oi, aux, X, Y, key, t0, n_active, table=None):
    """Scan one member over ``cfg.n_steps`` steps from global step ``t0`` (only the first ``n_active`` act).

    ``table``: this member's ``(n_steps, B)`` example indices (the caller's batches), else sampled."""
    loss_fn, opt, guard, batch_size, sampling, n_steps, project, project_every, use_aux, zero_bad, has_aux = cfg[:11]
    tx = _tx_of(opt, lr, oi)
    rec_dt = jnp.result_type(float)
    mloss = functools.partial(_member_loss, loss_fn, X=X, Y=Y, aux=aux, use_aux=use_aux)
    vg = jax.value_and_grad(lambda p_, idx: mloss(p_, idx=idx), has_aux=has_aux)
    if table is not None:
        idx_all = table
    else:
        idx_all = None if batch_size is None else _batch_index(key, t0, n_steps, X.shape[0], batch_size, sampling)
    frozen = dead  # members frozen by the caller (guard=False still leaves them alone)
    if has_aux:  # the shape of the per-step metrics, for the NaN record of a skipped step
        idx0 = None if idx_all is None else idx_all[0]
        nan_aux = jax.tree_util.tree_map(lambda sd: jnp.full(sd.shape, jnp.nan, rec_dt),
                                         jax.eval_shape(lambda: mloss(p, idx=idx0)[1]))
    else:
        nan_aux = ()

    def body(carry, inp):
        p, s, dead = carry
        i, idx = inp
        if project is not None:  # e.g. Liu & Li's Algorithm 1: rescale at t = E, 2E, ... before the update
            t = t0 + i
            pp = project(p, X, Y, aux)
            p = jax.tree_util.tree_map(lambda a, b: jnp.where((t > 0) & (t % project_every == 0), a, b), pp, p)
        active = (i < n_active) & ~(dead if guard else frozen)

        def do(args):
            p, s = args
            out, g = vg(p, idx)
            loss, metrics = out if has_aux else (out, ())
            if zero_bad:  # e.g. eig's derivative at a (near-)repeated eigenvalue: drop those entries
                g = jax.tree_util.tree_map(lambda a: jnp.where(jnp.isfinite(a), a, 0.0), g)
            gn = optax.tree.norm(g)
            upd, s2 = tx.update(g, s, p)
            p2 = optax.apply_updates(p, upd)
            ok = jnp.isfinite(loss) & jnp.isfinite(gn) & _tree_all_finite(p2)
            if guard:
                p2 = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), p2, p)
                s2 = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), s2, s)
            metrics = jax.tree_util.tree_map(lambda a: jnp.asarray(a, rec_dt), metrics)
            return p2, s2, jnp.asarray(loss, rec_dt), jnp.asarray(gn, rec_dt), ok, metrics

        def skip(args):
            nan = jnp.asarray(jnp.nan, rec_dt)
            return args[0], args[1], nan, nan, jnp.asarray(True), nan_aux

        p, s, loss, gn, ok, metrics = jax.lax.cond(active, do, skip, (p, s))
        return (p, s, dead | ~ok), (loss, gn, ok, active, metrics)

    (p, s, dead), outs = jax.lax.scan(body, (p, s, dead), (jnp.arange(n_steps), idx_all))
    return p, s, dead, outs


@functools.partial(jax.jit, static_argnames=("cfg",))
def _run_one(cfg, p, s, dead, lr, aux, X, Y, key, t0, n_active):
    _TRACES["count"] += 1
    return _member_run(cfg, p, s, dead, lr, None, aux, X, Y, key, t0, n_active)


@functools.partial(jax.jit, static_argnames=("cfg", "member_data", "member_table"))
def _run_population(cfg, member_data, member_table, p, s, dead, lr, oi, aux, X, Y, keys, t0, n_active, table):
    _TRACES["count"] += 1
    xa = 0 if member_data else None
    ta = 0 if member_table else None
    f = jax.vmap(_member_run, in_axes=(None, 0, 0, 0, 0, 0, 0, xa, xa, 0, None, None, ta))
    return f(cfg, p, s, dead, lr, oi, aux, X, Y, keys, t0, n_active, table)


def _init_state(opt, lr, oi, params):
    return _tx_of(opt, lr, oi).init(params)


_init_one = jax.jit(_init_state, static_argnums=0)
_init_population = jax.jit(jax.vmap(_init_state, in_axes=(None, 0, 0, 0)), static_argnums=0)


# --------------------------------------------------------------------------- public: populations


@dataclass
class PopulationResult:
    """``params`` (leading axis ``M``), ``opt_state``, ``losses (steps, M)`` and ``grad_norms (steps, M)`` at the
    pre-update parameters (NaN where a member took no step), ``diverged (M,)``, ``steps (M,)`` applied, and with
    ``has_aux`` the loss function's per-step ``metrics`` (its pytree, each leaf ``(steps, M, ...)``, NaN likewise)."""

    params: Any
    opt_state: Any
    losses: np.ndarray
    grad_norms: np.ndarray
    diverged: np.ndarray
    steps: np.ndarray
    metrics: Any = None


def _real_dtype(params):
    for leaf in jax.tree_util.tree_leaves(params):
        dt = jnp.asarray(leaf).dtype
        if jnp.issubdtype(dt, jnp.inexact):
            return jnp.finfo(dt).dtype
    return jnp.result_type(float)


def _check_opt(opt, allow_mixed=False):
    if opt is None:
        return OptimizerSpec()
    if isinstance(opt, OptimizerSpec):
        return opt
    if hasattr(opt, "init") and hasattr(opt, "update"):
        return opt
    if allow_mixed and isinstance(opt, (tuple, list)):
        if not opt:
            raise ValueError("opt: a mixed population needs at least one optimizer")
        return tuple(_check_opt(o) for o in opt)
    raise ValueError("opt must be an OptimizerSpec, an optax.GradientTransformation"
                     + (" or a tuple of them (with opt_index)" if allow_mixed else ""))


def _static_opt(opt):
    """The compile key of ``opt``: an OptimizerSpec without its (traced) learning rate."""
    if _is_mixed(opt):
        return tuple(_static_opt(o) for o in opt)
    return dataclasses.replace(opt, lr=0.0) if isinstance(opt, OptimizerSpec) else opt


def _check_opt_index(opt, opt_index, M):
    """``(M,)`` int32 member optimizer indices (zeros when ``opt`` is a single optimizer)."""
    if not _is_mixed(opt):
        if opt_index is not None:
            raise ValueError("opt_index needs opt to be a tuple of optimizers")
        return jnp.zeros(M, jnp.int32)
    if opt_index is None:
        raise ValueError("opt is a tuple of optimizers: pass opt_index, one index per member")
    oi = np.asarray(opt_index)
    if oi.shape != (M,) or oi.dtype.kind not in "iu":
        raise ValueError(f"opt_index must be {M} integers (one per member), got {oi.dtype} {oi.shape}")
    if oi.size and (oi.min() < 0 or oi.max() >= len(opt)):
        raise ValueError(f"opt_index entries must lie in [0, {len(opt)}), got {oi.min()}..{oi.max()}")
    return jnp.asarray(oi, jnp.int32)


def _check_frozen(frozen, M):
    if frozen is None:
        return np.zeros(M, bool)
    fr = np.asarray(frozen)
    if fr.shape != (M,) or fr.dtype != bool:
        raise ValueError(f"frozen must be {M} booleans (one per member), got {fr.dtype} {fr.shape}")
    return fr


def _check_opt_state(opt_state, sopt, lr_arr, oi, params):
    """The initial optimizer state: fresh, or ``opt_state`` (resumed) after checking it fits ``opt`` and ``params``."""
    if opt_state is None:
        return _init_population(sopt, lr_arr, oi, params)
    want = jax.eval_shape(lambda: _init_population(sopt, lr_arr, oi, params))
    got_def, want_def = jax.tree_util.tree_structure(opt_state), jax.tree_util.tree_structure(want)
    same = got_def == want_def and all(
        jnp.shape(a) == b.shape for a, b in zip(jax.tree_util.tree_leaves(opt_state), jax.tree_util.tree_leaves(want)))
    if not same:
        raise ValueError("opt_state does not fit opt and params (resume with the opt_state of a result trained with "
                         "the same optimizer and parameter shapes)")
    return opt_state


def _check_population(params, aux):
    leaves = jax.tree_util.tree_leaves(params)
    if not leaves:
        raise ValueError("params must be a non-empty pytree of arrays")
    shapes = [jnp.shape(x) for x in leaves]
    if any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
        raise ValueError("every params leaf must have the same leading member axis M")
    M = shapes[0][0]
    for leaf in jax.tree_util.tree_leaves(aux):
        if jnp.ndim(leaf) == 0 or jnp.shape(leaf)[0] != M:
            raise ValueError(f"every aux leaf must have leading member axis M={M}, got shape {jnp.shape(leaf)}")
    return M


def _check_pop_data(data, M, member_data):
    if data is None:
        return None, None, None
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ValueError("data must be None or a pair (X, Y)")
    X, Y = (jnp.asarray(a) for a in data)
    lead = 1 if member_data else 0
    if X.ndim < lead + 1 or Y.ndim < lead + 1:
        raise ValueError(f"data: X and Y need {'a member and ' if member_data else 'a leading '}example axis, "
                         f"got shapes {tuple(X.shape)} and {tuple(Y.shape)}")
    if member_data and (X.shape[0] != M or Y.shape[0] != M):
        raise ValueError(f"data: with member_data=True, X and Y need leading axis M={M}")
    if X.shape[lead] != Y.shape[lead]:
        raise ValueError(f"data: X and Y must hold the same number of examples, got {X.shape[lead]} and {Y.shape[lead]}")
    if X.shape[lead] == 0:
        raise ValueError("data must contain at least one example")
    for arr, nm in ((X, "X"), (Y, "Y")):
        if jnp.issubdtype(arr.dtype, jnp.inexact) and is_concrete(arr) and not bool(jnp.all(jnp.isfinite(arr))):
            raise ValueError(f"data: {nm} contains NaN or inf")
    return X, Y, int(X.shape[lead])


def _check_keys(keys, seed, M):
    if keys is None:
        return jax.random.split(jax.random.PRNGKey(check_int(seed, "seed", minimum=0)), M)
    keys = jnp.asarray(keys)
    if keys.shape != (M, 2) or keys.dtype != jnp.uint32:
        raise ValueError(f"keys must be M={M} raw PRNG keys (uint32, shape ({M}, 2)), got {keys.dtype} {keys.shape}")
    return keys


def _check_batching(batch_size, sampling, n, steps):
    """Validated ``(batch_size, n_steps)``: the scan length (whole epochs when sampling='epoch')."""
    check_choice(sampling, "sampling", ("epoch", "step"))
    if batch_size is None:
        return None, steps
    if n is None:
        raise ValueError("batch_size needs data")
    batch_size = check_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size must be <= number of examples ({n}), got {batch_size}")
    if sampling == "epoch":
        nb = n // batch_size
        return batch_size, -(-steps // nb) * nb
    return batch_size, steps


def _check_table(batches, batch_size, n, steps, M):
    """The caller's batch table as int32 ``(steps, B)`` or ``(M, steps, B)``, every index in ``[0, n)``."""
    if n is None:
        raise ValueError("batches needs data")
    tb = np.asarray(batches)
    if tb.dtype.kind not in "iu" or tb.ndim not in (2, 3) or tb.shape[-2] != steps or tb.shape[-1] == 0 or (
            tb.ndim == 3 and tb.shape[0] != M):
        raise ValueError(f"batches must be integers of shape (steps={steps}, B) or (M={M}, steps={steps}, B), "
                         f"got {tb.dtype} {tb.shape}")
    if tb.min() < 0 or tb.max() >= n:
        raise ValueError(f"batches: example indices must lie in [0, {n}), got {tb.min()}..{tb.max()}")
    if batch_size is not None and batch_size != tb.shape[-1]:
        raise ValueError(f"batch_size ({batch_size}) differs from the batches' width ({tb.shape[-1]}); pass one")
    return jnp.asarray(tb, jnp.int32)


def fit_population(loss_fn: Callable, params, data=None, steps: int = 100, opt=None, lr=None, aux=None,
                   batch_size: Optional[int] = None, sampling: str = "epoch", member_data: bool = False,
                   seed: int = 0, keys=None, guard: bool = True, project: Optional[Callable] = None,
                   project_every: Optional[int] = None, zero_nonfinite_grads: bool = False, opt_index=None,
                   opt_state=None, frozen=None, start_step: int = 0, has_aux: bool = False,
                   batches=None) -> PopulationResult:
    """Train ``M`` members at once (one compiled, ``vmap``-ed optax loop); see the module docstring.

    ``loss_fn(params_i[, xb, yb][, aux_i])``; ``params``: leaves with leading axis ``M``; ``opt``: an
    :class:`OptimizerSpec` (default Adam 1e-3), an optax transformation, or a tuple of them with
    ``opt_index`` (``(M,)`` ints: member ``i`` uses ``opt[opt_index[i]]``; one compile for the mixed
    population); ``lr``: overrides ``opt.lr``, a scalar or ``(M,)`` (traced: no re-trace per value, so a
    caller may lower it between calls, e.g. ReduceLROnPlateau); ``aux``: pytree with leading axis ``M``;
    ``opt_state``: resume from a previous result's ``opt_state`` (same ``opt`` and shapes; counts, moments
    and schedules continue) with ``start_step`` the global index of the first step (batches, projection);
    ``frozen``: ``(M,)`` bools, members that take no step (their ``steps`` is 0, ``diverged`` unchanged);
    ``has_aux``: ``loss_fn`` returns ``(loss, metrics)`` (as ``jax.value_and_grad(has_aux=True)``) and the metrics
    at the pre-update parameters of every step come back in ``metrics``; ``batches``: the caller's example
    indices, ``(steps, B)`` shared by all members or ``(M, steps, B)`` one table per member, used at step ``t``
    instead of sampling (e.g. a fixed batch order of an authors' script, or fresh examples per step);
    ``project(params_i, X_i, Y_i, aux_i) -> params_i`` (optional) is applied before the update at steps
    ``project_every, 2 project_every, ...`` (the optimizer state is kept).  ``zero_nonfinite_grads``: replace
    non-finite gradient entries by 0 before the update (the guard then sees the cleaned gradient).
    Deterministic for fixed arguments.
    """
    if not callable(loss_fn):
        raise ValueError("loss_fn must be callable")
    M = _check_population(params, aux)
    steps = check_int(steps, "steps")
    opt = _check_opt(opt, allow_mixed=True)
    oi = _check_opt_index(opt, opt_index, M)
    frozen = _check_frozen(frozen, M)
    start_step = check_int(start_step, "start_step", minimum=0)
    X, Y, n = _check_pop_data(data, M, bool(member_data))
    if batches is None:
        batch_size, n_steps = _check_batching(batch_size, sampling, n, steps)
        table = None
    else:
        table, batch_size, n_steps = _check_table(batches, batch_size, n, steps, M), None, steps
    keys = _check_keys(keys, seed, M)
    if (project is None) != (project_every is None):
        raise ValueError("pass project and project_every together")
    if project is not None:
        if not callable(project):
            raise ValueError("project must be callable")
        project_every = check_int(project_every, "project_every")
    lr_arr = _member_lr(opt, lr, M, params, oi)
    cfg = (loss_fn, _static_opt(opt), bool(guard), batch_size, sampling, n_steps, project, project_every,
           aux is not None, bool(zero_nonfinite_grads), bool(has_aux))
    state = _check_opt_state(opt_state, cfg[1], lr_arr, oi, params)
    dead = jnp.asarray(frozen)
    p, s, dead, (loss, gn, ok, active, metrics) = _run_population(
        cfg, bool(member_data) and X is not None, table is not None and table.ndim == 3, params, state, dead, lr_arr,
        oi, aux, X, Y, keys, jnp.asarray(start_step, jnp.int32), jnp.asarray(steps, jnp.int32), table)
    took = np.asarray(active)[:, :steps] & np.asarray(ok)[:, :steps]
    metrics = jax.tree_util.tree_map(lambda a: np.swapaxes(np.asarray(a)[:, :steps], 0, 1), metrics) if has_aux else None
    return PopulationResult(params=p, opt_state=s, losses=np.asarray(loss)[:, :steps].T,
                            grad_norms=np.asarray(gn)[:, :steps].T, diverged=np.asarray(dead) & ~frozen,
                            steps=took.sum(axis=1) if guard else np.asarray(active)[:, :steps].sum(axis=1),
                            metrics=metrics)


def _member_lr(opt, lr, M, params, oi=None):
    dt = _real_dtype(params)
    if lr is None and _is_mixed(opt):
        lr = np.array([o.lr if isinstance(o, OptimizerSpec) else 0.0 for o in opt])[np.asarray(oi)]
    elif lr is None:
        lr = opt.lr if isinstance(opt, OptimizerSpec) else 0.0
    lr = np.asarray(lr, np.float64)
    if lr.ndim not in (0, 1) or (lr.ndim == 1 and lr.shape[0] != M):
        raise ValueError(f"lr must be a scalar or have shape ({M},), got shape {lr.shape}")
    if not np.all(np.isfinite(lr)) or np.any(lr < 0):
        raise ValueError(f"lr must be finite and >= 0, got {lr}")
    return jnp.asarray(np.broadcast_to(lr, (M,)), dt)


# --------------------------------------------------------------------------- public: fit (a population of one)


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


@functools.partial(jax.jit, static_argnums=0)
def _eval_batch(loss_fn, params, xb, yb):
    return loss_fn(params, xb, yb)


def _mean_loss(loss_fn, params, X, Y, chunk):
    n = int(X.shape[0])
    tot = 0.0
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        tot += float(_eval_batch(loss_fn, params, X[s:e], Y[s:e])) * (e - s)
    return tot / n


def evaluate(loss_fn: Callable, params, data, batch_size: int = 1024) -> float:
    """Example-weighted mean of ``loss_fn`` over ``data`` in chunks of ``batch_size`` (jitted once per loss)."""
    if not callable(loss_fn):
        raise ValueError("loss_fn must be callable")
    X, Y = _check_data(data, "data")
    return _mean_loss(loss_fn, params, X, Y, check_int(batch_size, "batch_size"))


def _fit_args(loss_fn, data, optimizer, steps, epochs, batch_size, seed, eval_data, eval_every, clip_norm):
    """Validate :func:`fit`'s arguments; returns the normalized values."""
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
    total_steps = check_int(steps, "steps") if steps is not None else check_int(epochs, "epochs") * nb
    check_int(seed, "seed", minimum=0)
    ev = None
    if eval_data is not None:
        ev = _check_data(eval_data, "eval_data")
        eval_every = 1 if eval_every is None else check_int(eval_every, "eval_every")
    elif eval_every is not None:
        check_int(eval_every, "eval_every")
    if clip_norm is not None and not (np.isfinite(clip_norm) and clip_norm > 0):
        raise ValueError(f"clip_norm must be positive and finite, got {clip_norm!r}")
    opt = optax.adamw(1e-3) if optimizer is None else _check_opt(optimizer)
    if clip_norm is not None:
        if isinstance(opt, OptimizerSpec):
            opt = dataclasses.replace(opt, clip=float(clip_norm))
        else:
            opt = optax.chain(optax.clip_by_global_norm(float(clip_norm)), opt)
    return X, Y, n, nb, batch_size, total_steps, ev, eval_every, opt


def _record_epochs(hist, rec, loss, gn, ok, active, n_ep, nb, epoch, stop_on_nan, verbose):
    """Append the epochs of one chunk to ``hist``; ``rec`` holds ``done``, ``diverged`` and the step lists."""
    for j in range(n_ep):
        sl = slice(j * nb, (j + 1) * nb)
        took = active[sl]
        good = took & ok[sl]
        if (took & ~ok[sl]).any():
            rec["diverged"] = True
        applied = int(good.sum()) if stop_on_nan else int(took.sum())
        if took.sum() == 0 or (stop_on_nan and applied == 0):
            return
        rec["done"] += applied
        sel = good if stop_on_nan else took
        rec["loss"].extend(loss[sl][sel].tolist())
        rec["gn"].extend(gn[sl][sel].tolist())
        hist["step"].append(rec["done"])
        hist["epoch"].append(epoch + j + 1)
        hist["train_loss"].append(float(np.mean(loss[sl][sel])))
        hist["grad_norm"].append(float(np.mean(gn[sl][sel])))
        if verbose:
            print(f"epoch {epoch + j + 1:4d} step {rec['done']:6d} train_loss {hist['train_loss'][-1]:.5g}"
                  f" grad_norm {hist['grad_norm'][-1]:.3g}" + (" DIVERGED" if rec["diverged"] else ""))
        if rec["diverged"] and stop_on_nan:
            return


def fit(
    loss_fn: Callable,
    params,
    data,
    optimizer=None,
    steps: Optional[int] = None,
    epochs: int = 5,
    batch_size: int = 64,
    seed: int = 0,
    eval_data=None,
    eval_every: Optional[int] = None,
    clip_norm: Optional[float] = None,
    stop_on_nan: bool = True,
    verbose: bool = False,
) -> FitResult:
    """Train ``params`` by minimizing ``loss_fn(params, xb, yb)`` on ``data = (X, Y)``: the engine's loop for a
    population of one (no ``vmap``), with per-epoch batches from ``PRNGKey(seed)`` (``sampling="epoch"``).

    ``optimizer``: an :class:`OptimizerSpec` or an optax transformation (default ``optax.adamw(1e-3)``).
    ``steps`` (total optimizer steps) overrides ``epochs``; the last epoch may then be partial.  Without
    ``eval_data`` several short epochs are fused into one compiled call.  ``stop_on_nan`` is the divergence
    guard (the failing update is not applied and training stops).  History (dict of lists, one entry per epoch
    that took a step): ``step``, ``epoch`` (1-based), ``train_loss`` (mean minibatch loss at the pre-update
    parameters), ``grad_norm`` (before clipping) and, with ``eval_data``, ``eval_loss``/``eval_step`` (every
    ``eval_every`` epochs and after the last).  Per-step values in ``step_loss`` / ``step_grad_norm``.
    """
    X, Y, n, nb, batch_size, total_steps, ev, eval_every, opt = _fit_args(
        loss_fn, data, optimizer, steps, epochs, batch_size, seed, eval_data, eval_every, clip_norm)
    n_epochs = -(-total_steps // nb)
    k = 1 if ev is not None else max(1, min(n_epochs, 32 // nb))  # epochs per compiled call
    cfg = (loss_fn, _static_opt(opt), bool(stop_on_nan), batch_size, "epoch", k * nb, None, None, False, False, False)
    lr = jnp.asarray(opt.lr if isinstance(opt, OptimizerSpec) else 0.0, _real_dtype(params))
    key = jax.random.PRNGKey(seed)
    t0 = time.perf_counter()
    opt_state = _init_one(cfg[1], lr, None, params)
    dead = jnp.asarray(False)
    hist = {"step": [], "epoch": [], "train_loss": [], "grad_norm": []}
    if ev is not None:
        hist["eval_loss"], hist["eval_step"] = [], []
    rec = {"done": 0, "diverged": False, "loss": [], "gn": []}
    epoch = 0
    while epoch < n_epochs and not (rec["diverged"] and stop_on_nan):
        n_ep = min(k, n_epochs - epoch)
        n_active = min(k * nb, n_ep * nb, total_steps - rec["done"])
        params, opt_state, dead, outs = _run_one(cfg, params, opt_state, dead, lr, None, X, Y, key,
                                                 jnp.asarray(epoch * nb, jnp.int32), jnp.asarray(n_active, jnp.int32))
        _record_epochs(hist, rec, *(np.asarray(a) for a in outs[:4]), n_ep, nb, epoch, stop_on_nan, verbose)
        epoch += n_ep
        if ev is not None and hist["step"] and (
            epoch % eval_every == 0 or epoch >= n_epochs or (rec["diverged"] and stop_on_nan)
        ) and (not hist["eval_step"] or hist["eval_step"][-1] != rec["done"]):
            hist["eval_loss"].append(_mean_loss(loss_fn, params, *ev, max(batch_size, min(int(ev[0].shape[0]), 1024))))
            hist["eval_step"].append(rec["done"])
            if verbose:
                print(f"           eval_loss {hist['eval_loss'][-1]:.5g}")
    return FitResult(params=params, history=hist, diverged=bool(rec["diverged"]), opt_state=opt_state,
                     steps=rec["done"], step_loss=np.asarray(rec["loss"]), step_grad_norm=np.asarray(rec["gn"]),
                     wall_s=time.perf_counter() - t0)
