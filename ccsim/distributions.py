"""Random-variable specifications used in scenarios (all in seconds) and their vectorised samplers.

A distribution is written in TOML as an inline table, e.g. ``{dist = "lognormal", mean = 300, cv = 0.8}``;
a bare number means a deterministic value. :meth:`encode` gives the kind and two parameters the compiled
generator (:mod:`ccsim.variates`) draws from; the variates are drawn on demand, key by key.

Every parameter is a finite number (no ``inf``/``nan``, no ``true``/``false``) within the limits below, so
that samples stay finite and exact enough for the engines' clocks.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

#: the longest time (or mean time) a scenario may give, in seconds: about 31 years
MAX_SECONDS = 1e9
#: coefficients of variation (lognormal, gamma): below MIN_CV use a deterministic time; above MAX_CV the
#: samples are almost all 0 or astronomically large, which no call center produces
MIN_CV, MAX_CV = 1e-6, 100.0
#: Weibull shapes: below 0.05 the mean is astronomically larger than the median; above 100 use a fixed time
MIN_SHAPE, MAX_SHAPE = 0.05, 100.0
#: the distributions, in the order of their codes in compiled scenarios (append only)
KINDS = ("exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical", "weibull")
#: observed values an empirical distribution may hold
MAX_EMPIRICAL_VALUES = 1_000_000


def not_a_boolean(v):
    """Reject ``true``/``false`` where a number is meant (pydantic would read them as 1 and 0)."""
    if isinstance(v, bool):
        raise ValueError("a boolean is not a number")
    return v


#: a number, never a boolean (finiteness comes from the models' ``allow_inf_nan=False``)
Float = Annotated[float, BeforeValidator(not_a_boolean)]
Seconds = Annotated[float, BeforeValidator(not_a_boolean), Field(ge=0, le=MAX_SECONDS)]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def encode(self) -> tuple[int, float, float]:
        """(kind: the position of ``dist`` in :data:`KINDS`, p0, p1) as :func:`ccsim.variates.draw` reads them."""
        raise NotImplementedError

    @property
    def mean_value(self) -> float:
        raise NotImplementedError


class Exponential(_Dist):
    """Memoryless times: patience in Erlang A, handle time in Erlang C."""

    dist: Literal["exponential"] = "exponential"
    mean: Float = Field(gt=0, le=MAX_SECONDS)

    def encode(self):
        return KINDS.index(self.dist), float(self.mean), 0.0

    @property
    def mean_value(self) -> float:
        return self.mean


class Lognormal(_Dist):
    """Right-skewed times by mean and coefficient of variation: the usual fit for talk time."""

    dist: Literal["lognormal"] = "lognormal"
    mean: Float = Field(gt=0, le=MAX_SECONDS)
    cv: Float = Field(ge=MIN_CV, le=MAX_CV)

    def encode(self):  # mu and sigma of the log
        s2 = math.log1p(self.cv**2)
        return KINDS.index(self.dist), math.log(self.mean) - s2 / 2, math.sqrt(s2)

    @property
    def mean_value(self) -> float:
        return self.mean


class Gamma(_Dist):
    """Gamma by mean and coefficient of variation (shape 1/cv^2)."""

    dist: Literal["gamma"] = "gamma"
    mean: Float = Field(gt=0, le=MAX_SECONDS)
    cv: Float = Field(ge=MIN_CV, le=MAX_CV)

    def encode(self):  # shape and scale
        shape = 1.0 / self.cv**2
        return KINDS.index(self.dist), shape, self.mean / shape

    @property
    def mean_value(self) -> float:
        return self.mean


class Deterministic(_Dist):
    """A fixed time (an IVR prompt, a scripted survey)."""

    dist: Literal["deterministic"] = "deterministic"
    value: Seconds

    def encode(self):
        return KINDS.index(self.dist), float(self.value), 0.0

    @property
    def mean_value(self) -> float:
        return self.value


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = "uniform"
    low: Seconds
    high: Seconds

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def encode(self):
        return KINDS.index(self.dist), float(self.low), float(self.high)

    @property
    def mean_value(self) -> float:
        return (self.low + self.high) / 2


class Empirical(_Dist):
    """Resampling of observed values (e.g. handle times exported from the ACD)."""

    dist: Literal["empirical"] = "empirical"
    # inf/nan pass the item type so that the rule below names the whole list
    values: list[Annotated[float, Field(allow_inf_nan=True), BeforeValidator(not_a_boolean)]] = Field(min_length=1, max_length=MAX_EMPIRICAL_VALUES)

    @field_validator("values")
    @classmethod
    def _nonneg(cls, v):
        if any((not math.isfinite(x)) or x < 0 or x > MAX_SECONDS for x in v):
            raise ValueError(f"values must be finite, >= 0 and <= {MAX_SECONDS:g} s")
        return v

    def encode(self):  # the values themselves are passed apart (ccsim.demand)
        return KINDS.index(self.dist), 0.0, 0.0

    @property
    def mean_value(self) -> float:
        return float(np.mean(self.values))


class Weibull(_Dist):
    """Weibull by shape k and scale: patience fitted to censored waits (k < 1: the impatient hang up early)."""

    dist: Literal["weibull"] = "weibull"
    shape: Float = Field(ge=MIN_SHAPE, le=MAX_SHAPE)
    scale: Float = Field(gt=0, le=MAX_SECONDS)

    def encode(self):  # drawn by inversion: scale (-ln u)^(1/shape)
        return KINDS.index(self.dist), float(self.shape), float(self.scale)

    @property
    def mean_value(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)


def _bare_number(v):
    """A bare number in a scenario means a deterministic value."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return {"dist": "deterministic", "value": v}
    if isinstance(v, dict) and not isinstance(v.get("dist", ""), str):
        # checked here: pydantic would print the tag (maybe a huge or deeply nested value) to report it
        raise ValueError(f"dist must be the name of a distribution: {', '.join(KINDS)}")
    return v


Distribution = Annotated[
    Annotated[Union[Exponential, Lognormal, Gamma, Deterministic, Uniform, Empirical, Weibull], Field(discriminator="dist")],
    BeforeValidator(_bare_number),
]
"""Any supported distribution; pydantic picks the class by its ``dist`` field."""
