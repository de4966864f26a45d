"""Random-variable specifications used in scenarios (all in seconds) and their vectorised samplers.

A distribution is written in TOML as an inline table, e.g. ``{dist = "lognormal", mean = 300, cv = 0.8}``;
a bare number means a deterministic value. Every sampler draws from a numpy ``Generator`` it is given:
the demand module owns the random streams, the engines never draw.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    @property
    def mean_value(self) -> float:
        raise NotImplementedError


class Exponential(_Dist):
    """Memoryless times: patience in Erlang A, handle time in Erlang C."""

    dist: Literal["exponential"] = "exponential"
    mean: float = Field(gt=0)

    def sample(self, rng, size):
        return rng.exponential(self.mean, size)

    @property
    def mean_value(self) -> float:
        return self.mean


class Lognormal(_Dist):
    """Right-skewed times by mean and coefficient of variation: the usual fit for talk time."""

    dist: Literal["lognormal"] = "lognormal"
    mean: float = Field(gt=0)
    cv: float = Field(gt=0)

    def sample(self, rng, size):
        s2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - s2 / 2, math.sqrt(s2), size)

    @property
    def mean_value(self) -> float:
        return self.mean


class Gamma(_Dist):
    """Gamma by mean and coefficient of variation (shape 1/cv^2)."""

    dist: Literal["gamma"] = "gamma"
    mean: float = Field(gt=0)
    cv: float = Field(gt=0)

    def sample(self, rng, size):
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size)

    @property
    def mean_value(self) -> float:
        return self.mean


class Deterministic(_Dist):
    """A fixed time (an IVR prompt, a scripted survey)."""

    dist: Literal["deterministic"] = "deterministic"
    value: float = Field(ge=0)

    def sample(self, rng, size):
        return np.full(size, float(self.value))

    @property
    def mean_value(self) -> float:
        return self.value


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def sample(self, rng, size):
        return rng.uniform(self.low, self.high, size)

    @property
    def mean_value(self) -> float:
        return (self.low + self.high) / 2


class Empirical(_Dist):
    """Resampling of observed values (e.g. handle times exported from the ACD)."""

    dist: Literal["empirical"] = "empirical"
    values: list[float] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _nonneg(cls, v):
        if any((not math.isfinite(x)) or x < 0 for x in v):
            raise ValueError("values must be finite and >= 0")
        return v

    def sample(self, rng, size):
        return rng.choice(np.asarray(self.values, dtype=float), size=size, replace=True)

    @property
    def mean_value(self) -> float:
        return float(np.mean(self.values))


def _bare_number(v):
    """A bare number in a scenario means a deterministic value."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return {"dist": "deterministic", "value": v}
    return v


Distribution = Annotated[
    Annotated[Union[Exponential, Lognormal, Gamma, Deterministic, Uniform, Empirical], Field(discriminator="dist")],
    BeforeValidator(_bare_number),
]
"""Any supported distribution; pydantic picks the class by its ``dist`` field."""
