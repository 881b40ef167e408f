"""Child-safeguarding risk scoring: a transparent, configurable, KIRAT-like factor model.

Not KIRAT itself: a force sets the factors, points and tier thresholds in a YAML file (the
shipped default is ``dfu_sched/data/risk_default.yaml``, every number an estimate). Points are
non-negative and each factor's value is a non-negative count, so the score, and with it the
tier, can only rise when a factor rises (the monotonicity the tests check).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from dfu_sched.errors import InputError
from dfu_sched.yamlfile import parse_yaml, read_text_file

DEFAULT_MODEL = "risk_default.yaml"


#: Every number in a risk model is finite (.nan as a threshold would silently move devices down a tier).
_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)
MAX_POINTS = 1e6


class Factor(BaseModel):
    model_config = _CONFIG
    points: float = Field(ge=0, le=MAX_POINTS, description="Points per unit of the factor (>= 0: monotone).")
    label: str = Field("", description="Plain words used in reasons.")
    cap: float = Field(1.0, gt=0, le=MAX_POINTS, description="Largest value counted (1 for yes/no factors).")


class TierRule(BaseModel):
    model_config = _CONFIG
    name: str = Field(min_length=1)
    min_score: float = Field(ge=-MAX_POINTS, le=MAX_POINTS ** 2)


class RiskModel(BaseModel):
    """Factors with points, and tier thresholds; loaded from YAML."""

    model_config = _CONFIG
    name: str = "custom"
    version: int | str = 1
    factors: dict[str, Factor] = Field(min_length=1)
    tiers: list[TierRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers_descending(self):
        scores = [t.min_score for t in self.tiers]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError("tiers must be listed from the highest min_score down, without ties")
        if len({t.name for t in self.tiers}) != len(self.tiers):
            raise ValueError("tier names must be unique")
        return self

    @property
    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def tier_of(self, score: float) -> str:
        """Highest tier whose threshold the score reaches (the lowest tier otherwise)."""
        for t in self.tiers:
            if score >= t.min_score:
                return t.name
        return self.tiers[-1].name

    def label(self, factor: str) -> str:
        f = self.factors.get(factor)
        return (f.label or factor.replace("_", " ")) if f else factor.replace("_", " ")


@dataclass(frozen=True)
class RiskResult:
    """A scored device: ``tier`` is the one used (given wins), ``computed_tier`` from factors."""

    score: float | None
    tier: str
    computed_tier: str | None
    given_tier: str | None
    contributions: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    @property
    def mismatch(self) -> bool:
        return (self.given_tier is not None and self.computed_tier is not None
                and self.given_tier != self.computed_tier)

    def factors_text(self, model: RiskModel, top: int | None = None) -> str:
        """The contributing factors, largest first; with ``top``, the rest as one sum (so the parts
        shown always add up to the score)."""
        items = self.contributions[:top] if top else self.contributions
        rest = self.contributions[len(items):]
        text = ", ".join(f"{model.label(k)} (+{v:g})" for k, v in items)
        if rest:
            text += f", {len(rest)} more (+{sum(v for _, v in rest):g})"
        return text


def load_risk_model(path: str | Path | None = None) -> RiskModel:
    """Read a risk model YAML; ``None`` gives the shipped default."""
    if path is None:
        text = resources.files("dfu_sched").joinpath("data", DEFAULT_MODEL).read_text(encoding="utf-8")
        source = "risk_default.yaml"
    else:
        source = str(path)
        text = read_text_file(path, "risk model")  # a regular file of bounded size
    data = parse_yaml(text, source)  # tag, date, depth and alias limits (dfu_sched.yamlfile)
    if not isinstance(data, dict):
        raise InputError("expected a mapping with 'factors' and 'tiers'", source=source)
    try:
        return RiskModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        raise InputError(f"{loc}: {err['msg']}{_allowed(err)}", source=source) from None


def _allowed(err: ErrorDetails) -> str:
    """' (allowed: a finite number from 0 to 1,000,000)' for a number out of range or not finite."""
    from dfu_sched.scenario.input_errors import RANGE_ERRORS, range_phrase, schema_nodes_at

    if err["type"] not in RANGE_ERRORS:
        return ""
    phrase = range_phrase(schema_nodes_at(list(err["loc"]), RiskModel.model_json_schema()))
    return f" (allowed: {phrase})" if phrase else ""


def score_factors(model: RiskModel, values: Mapping[str, float]) -> tuple[float, tuple[tuple[str, float], ...]]:
    """Score and the contributing factors, largest first (unknown names are the caller's error)."""
    parts = []
    for name, value in values.items():
        f = model.factors[name]
        pts = f.points * min(max(0.0, float(value)), f.cap)
        if pts > 0:
            parts.append((name, pts))
    parts.sort(key=lambda kv: (-kv[1], kv[0]))
    return float(sum(v for _, v in parts)), tuple(parts)


def assess(model: RiskModel, factors: Mapping[str, float] | None, given_tier: str | None) -> RiskResult:
    """Combine a given tier and/or factors: a given tier wins; a mismatch is flagged."""
    if factors is None and given_tier is None:
        raise ValueError("need a tier or risk factors")
    score: float | None = None
    parts: tuple[tuple[str, float], ...] = ()
    computed: str | None = None
    if factors is not None:
        score, parts = score_factors(model, factors)
        computed = model.tier_of(score)
    tier = given_tier if given_tier is not None else computed
    assert tier is not None  # a tier was given, or factors were scored into one
    return RiskResult(score=score, tier=tier, computed_tier=computed, given_tier=given_tier,
                      contributions=parts)
