"""ssmtheory: recompute the claims of five SSM theory papers from scratch.

Conventions (used by every module; see README "Conventions"):

* continuous time  ``x'(t) = A x(t) + B u(t)``,  ``y(t) = Re(C x(t)) + D u(t)``;
* discrete time    ``x_k = Abar x_{k-1} + Bbar u_k``,  ``x_{-1} = 0``,  ``y_k = Re(C x_k) + D u_k``;
* a diagonal ``A`` is stored as its 1-D eigenvalue vector ``Lambda`` (complex or real);
* shapes: ``Lambda (P,)``, ``B (P, H_in)``, ``C (H_out, P)``, ``D (H_out, H_in)``, ``u (..., L, H_in)``;
* ``conj_sym=True`` means only one eigenvalue of each conjugate pair is stored and the
  output is ``2 Re(C x)`` (S4D / S5 convention);
* host-side linear algebra (eigendecompositions, Schur forms, HiPPO) is NumPy float64;
  kernels, scans and grids are jitted JAX and follow the dtype of their inputs.  The package
  never flips ``jax_enable_x64``: callers that want float64 in JAX enable it themselves.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
