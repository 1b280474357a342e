"""The authors' released perturbations (AnnanYu/Approximate_Diagonal, HEAD ec98d6a), read -- never downloaded, never
vendored (the repository has no license) -- from ``$SSMTHEORY_PTD_RELEASED`` or the local mirror; skipped when absent.
Expected values: docs/papers/ptd-2023.md, section 2 (the note's own measurements)."""

import numpy as np
import pytest

from ssmtheory.experiments import ptd_study
from ssmtheory.theory import ptd

pytestmark = pytest.mark.skipif(ptd_study.released_source() is None, reason="released .mat files not available "
                                f"(set ${ptd_study.RELEASED_ENV})")

NOTE = {"ptbHiPPO8": (4.01, 0.098, 5.11, -0.57), "ptbHiPPO16": (8.24, 0.051, 6.56, -0.79),
        "ptbHiPPO16_v2": (13.3, 0.082, 4.45, -0.49), "ptbHiPPO32": (24.7, 0.038, 8.31, -0.53),
        "ptbHiPPO128_v2": (337.0, 0.032, 8.01, 3.40)}


@pytest.mark.parametrize("name", sorted(NOTE))
def test_released_structure_matches_the_note(name):
    r = ptd_study.load_released(name)
    assert r["imag_residual"] < 1e-9 * np.linalg.norm(r["A"], 2)  # E is real: eigenvalues in conjugate pairs
    st = ptd_study.perturbation_structure(r["A"], r["E"])
    eps, eps_rel, kappa, max_re = NOTE[name]
    assert st["eps"] == pytest.approx(eps, rel=0.01)
    assert st["eps_rel"] == pytest.approx(eps_rel, abs=0.001)
    assert st["kappa"] == pytest.approx(kappa, rel=0.01)
    assert st["max_re"] == pytest.approx(max_re, abs=0.01)
    # where E sits: mostly the strict upper triangle and the last column, almost nothing in the first row
    assert st["upper"] > 0.75 and st["first_row"] < 0.01
    if r["N"] <= 32:
        assert st["last_col"] > 0.55


@pytest.mark.parametrize("name", ["ptbHiPPO8", "ptbHiPPO16", "ptbHiPPO32"])
def test_released_theorem3_ratio(name):
    r = ptd_study.load_released(name)
    N = r["N"]
    s4 = ptd.thm3_deviation(N, n_C=100)
    p = ptd.thm3_deviation(N, r["E"], n_C=100, via="diag")
    assert s4["worst"] / p["worst"] >= 9 and s4["gauss_median"] / p["gauss_median"] >= 9
    assert p["worst"] <= p["bound"]  # Theorem 3 with the absolute eps
