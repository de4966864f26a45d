"""ccsim.distributions: every kind, as a scenario writes it and as the generator draws it (encode, then
ccsim.variates.draw over many callers), follows its documented law; bad parameters are named by field.

Statistical checks use one fixed seed and a family-wise false-alarm probability ALPHA shared by every
check in this module (Bonferroni): a mean or variance is tested with a two-sided z-test whose standard
error comes from the theoretical law, and the shape with a Kolmogorov-Smirnov test against the exact law
(scipy.stats) or, for the discrete empirical law, a chi-square test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from pydantic import TypeAdapter
from scipy import stats

from ccsim import variates as rv

from ccsim import ScenarioError
from ccsim.distributions import Deterministic, Distribution

from centers import build, two_skill_center

DIST = TypeAdapter(Distribution)
KINDS = ("exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical", "weibull")
N = 200_000
SEED = 20240611
ALPHA = 1e-3  # probability that a correct implementation fails any statistical check of this module


# --------------------------------------------------------------------------- laws, from the parameters alone
def moments(spec: dict) -> tuple[float, float, float]:
    """(mean, variance, 4th central moment) of the law a spec documents (docs/model.md), by hand."""
    kind = spec["dist"]
    if kind == "exponential":
        m = spec["mean"]
        return m, m**2, 9 * m**4
    if kind in ("lognormal", "gamma"):
        m, cv = spec["mean"], spec["cv"]
        var = (cv * m) ** 2
        if kind == "gamma":  # excess kurtosis 6 / shape, shape = 1 / cv^2
            return m, var, var**2 * (3 + 6 * cv**2)
        w = 1 + cv**2        # lognormal kurtosis: w^4 + 2 w^3 + 3 w^2 - 3, w = exp(sigma^2)
        return m, var, var**2 * (w**4 + 2 * w**3 + 3 * w**2 - 3)
    if kind == "uniform":
        a, b = spec["low"], spec["high"]
        return (a + b) / 2, (b - a) ** 2 / 12, (b - a) ** 4 / 80
    if kind == "weibull":  # raw moments scale^r Gamma(1 + r / shape)
        k, lam = spec["shape"], spec["scale"]
        g = [math.gamma(1 + r / k) for r in range(5)]
        m = lam * g[1]
        return (m, lam**2 * (g[2] - g[1] ** 2),
                lam**4 * (g[4] - 4 * g[3] * g[1] + 6 * g[2] * g[1] ** 2 - 3 * g[1] ** 4))
    if kind == "empirical":
        v = np.asarray(spec["values"], dtype=float)
        return float(v.mean()), float(v.var()), float(((v - v.mean()) ** 4).mean())
    raise AssertionError(kind)


def exact_law(spec: dict):
    """The documented law as a frozen scipy.stats distribution (continuous kinds)."""
    kind = spec["dist"]
    if kind == "exponential":
        law = stats.expon(scale=spec["mean"])
    elif kind == "lognormal":
        s2 = math.log1p(spec["cv"] ** 2)  # sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2
        law = stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(spec["mean"]) - s2 / 2))
    elif kind == "gamma":
        shape = 1 / spec["cv"] ** 2       # shape 1 / cv^2, scale mean cv^2
        law = stats.gamma(a=shape, scale=spec["mean"] / shape)
    elif kind == "uniform":
        law = stats.uniform(loc=spec["low"], scale=spec["high"] - spec["low"])
    elif kind == "weibull":
        law = stats.weibull_min(c=spec["shape"], scale=spec["scale"])
    else:
        raise AssertionError(kind)
    mean, var, _ = moments(spec)  # the translation to scipy's parameters has the documented mean and variance
    assert law.mean() == pytest.approx(mean, rel=1e-12) and law.var() == pytest.approx(var, rel=1e-12)
    return law


@njit(cache=True)
def _draw_many(kind, p0, p1, values, stream, n):
    out = np.empty(n)
    for i in range(n):  # caller i of call type 0, attempt 0, the talk of its first need
        out[i] = rv.draw(kind, p0, p1, values, 0, values.shape[0], rv.caller_key(stream, 0, i), 0, rv.TALK, 0)
    return out


def draws(spec: dict, seed: int = SEED, n: int = N) -> np.ndarray:
    """n draws of the law as the engines draw it: one per caller, from the law's encoding."""
    d = DIST.validate_python(spec)
    kind, p0, p1 = d.encode()
    values = np.asarray(getattr(d, "values", [0.0]), dtype=float)
    return _draw_many(kind, p0, p1, values, rv.stream_key(seed, 0), n)


# Every random kind, with shapes on both sides of cv = 1 where the kind has a cv (numpy's gamma sampler
# switches algorithm at shape 1). The variance z-test relies on the sample variance being close to normal
# at N draws, which holds for these laws except the heavy-tailed lognormal with cv > 1 (checked offline:
# its z-statistic is visibly skewed), whose spread is left to the exact KS test.
MOMENT_CASES = [
    pytest.param({"dist": "exponential", "mean": 120}, True, id="exponential"),
    pytest.param({"dist": "lognormal", "mean": 300, "cv": 0.3}, True, id="lognormal-cv0.3"),
    pytest.param({"dist": "lognormal", "mean": 300, "cv": 0.8}, True, id="lognormal-cv0.8"),
    pytest.param({"dist": "lognormal", "mean": 60, "cv": 2.0}, False, id="lognormal-cv2"),
    pytest.param({"dist": "gamma", "mean": 50, "cv": 0.5}, True, id="gamma-cv0.5"),
    pytest.param({"dist": "gamma", "mean": 50, "cv": 2.0}, True, id="gamma-cv2"),
    pytest.param({"dist": "uniform", "low": 10, "high": 30}, True, id="uniform"),
    pytest.param({"dist": "uniform", "low": 0, "high": 5}, True, id="uniform-from0"),
    pytest.param({"dist": "weibull", "shape": 0.7, "scale": 150}, True, id="weibull-k0.7"),
    pytest.param({"dist": "weibull", "shape": 2.5, "scale": 90}, True, id="weibull-k2.5"),
    pytest.param({"dist": "empirical", "values": [1, 2, 3, 10]}, True, id="empirical"),
    pytest.param({"dist": "empirical", "values": [5, 5, 5, 20, 0]}, True, id="empirical-repeats"),
]
KS_CASES = [p for p in MOMENT_CASES if p.values[0]["dist"] not in ("empirical",)]
CHI2_CASES = [p for p in MOMENT_CASES if p.values[0]["dist"] == "empirical"]

N_CHECKS = len(MOMENT_CASES) + sum(p.values[1] for p in MOMENT_CASES) + len(KS_CASES) + len(CHI2_CASES)
Z_CRIT = stats.norm.isf(ALPHA / N_CHECKS / 2)  # two-sided, Bonferroni-corrected
P_MIN = ALPHA / N_CHECKS


@pytest.mark.parametrize("spec, check_variance", MOMENT_CASES)
def test_sample_mean_and_variance_match_the_parameters(spec, check_variance):
    d = DIST.validate_python(spec)
    mean, var, mu4 = moments(spec)
    assert d.mean_value == pytest.approx(mean, rel=1e-12)
    x = draws(spec)
    assert x.shape == (N,) and np.isfinite(x).all() and (x >= 0).all()
    z_mean = (x.mean() - mean) / math.sqrt(var / N)
    assert abs(z_mean) <= Z_CRIT, f"sample mean {x.mean():.4g} vs {mean:g} (z = {z_mean:.2f})"
    if check_variance:  # Var(s^2) = mu4 / n - sigma^4 (n - 3) / (n (n - 1))
        s2 = x.var(ddof=1)
        se = math.sqrt(mu4 / N - var**2 * (N - 3) / (N * (N - 1)))
        z_var = (s2 - var) / se
        assert abs(z_var) <= Z_CRIT, f"sample cv {math.sqrt(s2) / x.mean():.4g} vs {math.sqrt(var) / mean:.4g} (z = {z_var:.2f})"


@pytest.mark.parametrize("spec, _", KS_CASES)
def test_draws_follow_the_exact_law(spec, _):
    x = draws(spec)
    res = stats.kstest(x, exact_law(spec).cdf)
    assert res.pvalue > P_MIN, f"KS D = {res.statistic:.4g}, p = {res.pvalue:.3g}"
    if spec["dist"] == "uniform":
        assert x.min() >= spec["low"] and x.max() <= spec["high"]


@pytest.mark.parametrize("spec, _", CHI2_CASES)
def test_empirical_resamples_every_value_uniformly(spec, _):
    x = draws(spec)
    values, multiplicity = np.unique(spec["values"], return_counts=True)
    assert set(np.unique(x)) == set(values.astype(float))
    observed = np.array([(x == v).sum() for v in values])
    res = stats.chisquare(observed, N * multiplicity / multiplicity.sum())
    assert res.pvalue > P_MIN, f"counts {observed.tolist()}, p = {res.pvalue:.3g}"


def test_deterministic_and_degenerate_laws_are_exact():
    for spec, value in (({"dist": "deterministic", "value": 37.5}, 37.5), ({"dist": "deterministic", "value": 0}, 0.0),
                        ({"dist": "uniform", "low": 8, "high": 8}, 8.0), ({"dist": "empirical", "values": [4, 4]}, 4.0)):
        d = DIST.validate_python(spec)
        x = draws(spec, n=150)
        assert d.mean_value == value
        assert x.shape == (150,) and x.dtype == np.float64
        assert (x == value).all()


# --------------------------------------------------------------------------- a bare number
@pytest.mark.parametrize("number", [42, 2.5, 0])
def test_bare_number_is_deterministic(number):
    d = DIST.validate_python(number)
    assert isinstance(d, Deterministic) and d.value == number and d.mean_value == number
    assert (draws(number, n=100) == number).all()


def test_bare_number_in_a_scenario_is_deterministic():
    sc = build(two_skill_center())  # billing acw = 20: a bare number
    assert sc.demand.work["billing"].acw == Deterministic(value=20)


def test_a_boolean_is_not_a_number_of_seconds():
    d = two_skill_center()
    d["demand"]["work"]["billing"]["acw"] = True
    with pytest.raises(ScenarioError, match=r"demand\.work\.billing\.acw"):
        build(d)


# --------------------------------------------------------------------------- validation, as a user sees it
LOCATIONS = {  # where a distribution sits in a scenario -> how to put one there
    "demand.work.billing.talk": lambda d, spec: d["demand"]["work"]["billing"].__setitem__("talk", spec),
    "demand.call_types.mixed.patience": lambda d, spec: d["demand"]["call_types"]["mixed"].__setitem__("patience", spec),
}
VALID = {"exponential": {"mean": 120}, "lognormal": {"mean": 300, "cv": 0.8}, "gamma": {"mean": 50, "cv": 0.5},
         "deterministic": {"value": 5}, "uniform": {"low": 10, "high": 30}, "weibull": {"shape": 0.8, "scale": 200}}
POSITIVE = {("exponential", "mean"), ("lognormal", "mean"), ("lognormal", "cv"), ("gamma", "mean"), ("gamma", "cv"),
            ("weibull", "shape"), ("weibull", "scale")}

def _bad_parameter_cases():
    for kind, params in VALID.items():
        for field in params:
            bad = [-1.0, -math.inf, math.nan, math.inf] + ([0.0] if (kind, field) in POSITIVE else [])
            for value in bad:
                yield pytest.param({"dist": kind, **params, field: value}, field, value,
                                   id=f"{kind}.{field}={value}")
    for value in (-1.0, math.nan, math.inf):
        yield pytest.param({"dist": "empirical", "values": [1.0, value, 3.0]}, "values", None, id=f"empirical.values={value}")
    yield pytest.param({"dist": "empirical", "values": []}, "values", None, id="empirical.values=[]")
    yield pytest.param({"dist": "uniform", "low": 30, "high": 10}, "", None, id="uniform.high<low")
    for value in (-3.0, math.nan, math.inf):  # a bare number is validated like a deterministic value
        yield pytest.param(value, "value", value, id=f"bare={value}")


@pytest.mark.parametrize("where", list(LOCATIONS))
@pytest.mark.parametrize("spec, field, value", list(_bad_parameter_cases()))
def test_bad_parameter_is_named(spec, field, value, where):
    """``value``: the rejected number, which the message must quote (None: a list or a cross-field rule)."""
    d = two_skill_center()
    LOCATIONS[where](d, spec)
    with pytest.raises(ScenarioError) as e:
        build(d)
    msg = str(e.value)
    assert "\n" not in msg
    assert e.value.field == (f"{where}.{field}" if field else where), msg
    if isinstance(value, float):
        assert f"got {value!r}" in msg


@pytest.mark.parametrize("where", list(LOCATIONS))
@pytest.mark.parametrize("spec", [{"dist": "pareto", "mean": 5}, {"dist": "Exponential", "mean": 5},
                                  {"dist": "", "mean": 5}, {"mean": 5}], ids=["pareto", "capitalised", "empty", "no-dist"])
def test_unknown_distribution_is_named_with_the_known_ones(spec, where):
    d = two_skill_center()
    LOCATIONS[where](d, spec)
    with pytest.raises(ScenarioError) as e:
        build(d)
    assert e.value.field == where
    assert all(kind in str(e.value) for kind in KINDS)
    if spec.get("dist"):
        assert repr(spec["dist"]) in str(e.value)


@pytest.mark.parametrize("spec, field, problem", [
    ({"dist": "exponential", "mean": 5, "cv": 1}, "cv", "unknown field"),   # a cv means another kind
    ({"dist": "gamma", "mean": 5}, "cv", "required field is missing"),
    ({"dist": "uniform", "high": 5}, "low", "required field is missing"),
    ({"dist": "empirical"}, "values", "required field is missing"),
])
def test_wrong_parameter_set_is_named(spec, field, problem):
    d = two_skill_center()
    d["demand"]["work"]["billing"]["talk"] = spec
    with pytest.raises(ScenarioError) as e:
        build(d)
    assert e.value.field == f"demand.work.billing.talk.{field}" and e.value.problem == problem
