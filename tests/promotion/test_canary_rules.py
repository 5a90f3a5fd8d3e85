"""Canary analysis rules: validated in the environment file, and each verdict (pass, fail,
inconclusive) on known numbers. No emulator."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mlops_kit.config.models import Analysis, AnalysisRule
from mlops_kit.promotion.canary_analysis import VariantSample, evaluate_rule


def sample(requests: int, errors: int = 0, latency: float | None = 10.0, outputs: int = 0) -> VariantSample:
    return VariantSample(
        "v", requests, errors, latency, None, tuple({"score": i / 7 % 1} for i in range(outputs))
    )


def test_a_rule_with_an_unknown_metric_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="metric"):
        AnalysisRule.model_validate({"metric": "accuracy", "comparison": "max", "threshold": 1})


def test_analysis_needs_at_least_one_rule() -> None:
    with pytest.raises(ValidationError, match="rules"):
        Analysis.model_validate({"rules": []})


def test_an_error_rate_over_the_allowed_difference_fails() -> None:
    rule = AnalysisRule(metric="error_rate", comparison="difference", threshold=0.05, min_requests=10)
    result = evaluate_rule(rule, sample(100, errors=1), sample(20, errors=5))
    assert result.verdict == "fail" and (result.baseline, result.canary) == (0.01, 0.25)


def test_a_latency_within_the_allowed_ratio_passes() -> None:
    rule = AnalysisRule(metric="latency_mean_ms", comparison="ratio", threshold=1.5, min_requests=10)
    assert evaluate_rule(rule, sample(100, latency=10.0), sample(20, latency=12.0)).verdict == "pass"


def test_too_few_canary_requests_are_inconclusive_not_a_failure() -> None:
    rule = AnalysisRule(metric="error_rate", comparison="difference", threshold=0.0, min_requests=50)
    result = evaluate_rule(rule, sample(100), sample(49, errors=49))
    assert result.verdict == "inconclusive" and "too few requests" in result.detail


def test_a_metric_its_source_cannot_give_is_inconclusive() -> None:
    rule = AnalysisRule(metric="latency_p99_ms", comparison="difference", threshold=5, min_requests=1)
    result = evaluate_rule(rule, sample(10), sample(10))
    assert result.verdict == "inconclusive" and "unavailable" in result.detail
