"""The diagonal students' trainer runs on the engine (train.fit_population) and reproduces a plain Adam loop."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory import param, train
from ssmtheory.experiments import diagonal_students as ds
from ssmtheory.theory import memory


def _reference(reparam, rho, st, steps, lr):
    """Straightforward per-member loop (the pre-engine trainer): optax.adam on the population loss, gradients masked
    on padded modes, |dL/dw|/|w| averaged over the steps, direct projected onto w <= 0 at the end."""
    T = rho.shape[-1]
    wts = jnp.asarray(memory.time_weights(T))
    k = jnp.arange(T, dtype=jnp.float64)

    def f(w):
        return jnp.minimum(w, 0.0) if reparam == "direct" else param.reparam(reparam, w)

    def loss(p, r):
        K = (p["c"] * p["b"]) @ jnp.exp(f(p["w"])[:, None] * k)
        return memory.population_loss(jnp.asarray(r) - K, wts)

    opt = optax.adam(lr)

    @jax.jit
    def step(p, s, mk, r):
        l, g = jax.value_and_grad(loss)(p, r)
        g = jax.tree_util.tree_map(lambda a: a * mk, g)
        ratio = jnp.abs(g["w"]) / jnp.maximum(jnp.abs(p["w"]), 1e-12) * mk
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, l, ratio

    out = []
    for i in range(st["w"].shape[0]):
        mk = jnp.asarray(st["mask"][i])
        r = rho[st["target"][i]]
        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(0), int(st["size"][i])), int(st["seed"][i]))
        p, _ = ds._init_student(key, st["w"].shape[1], int(st["size"][i]), reparam, (0.1, 1.0), jnp.float64)
        s, hist, acc = opt.init(p), [], 0.0
        for _ in range(steps):
            p, s, l, ratio = step(p, s, mk, r)
            hist.append(float(l))
            acc = acc + ratio
        if reparam == "direct":
            p = {**p, "w": jnp.minimum(p["w"], 0.0)}
        out.append((p, np.array(hist), np.asarray(acc) / steps, float(loss(p, r))))
    return out


def test_engine_trainer_reproduces_plain_adam_loop():
    rho = np.stack([memory.target_kernel("pol", 20), memory.target_kernel("exp", 20)])
    for reparam in ("direct", "softplus"):
        st = ds.train_students(reparam, rho, [2, 3], n_seeds=1, steps=40, lr=2e-2, seed=0)
        ref = _reference(reparam, rho, st, 40, 2e-2)
        for i, (p, hist, ratio, final) in enumerate(ref):
            for key in ("w", "b", "c"):
                np.testing.assert_allclose(st[key][i], p[key], rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(st["loss_history"][i], hist, rtol=1e-10)
            np.testing.assert_allclose(st["grad_ratio"][i], ratio, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(st["final_loss"][i], final, rtol=1e-10)


def test_one_compile_for_every_reparameterization():
    rho = memory.target_kernel("pol", 16)[None]
    ds.train_students("exp", rho, [2], n_seeds=2, steps=7, seed=0)
    n0 = train.trace_count()
    for r in ("softplus", "direct", "best"):
        ds.train_students(r, rho, [2], n_seeds=2, steps=7, seed=1)
    assert train.trace_count() == n0
