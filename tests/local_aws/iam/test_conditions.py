"""The Condition element, operator by operator, as AWS documents it."""

from __future__ import annotations

from typing import Any

import pytest

from local_aws.iam.conditions import conditions_hold
from local_aws.iam.matching import Unsupported

CONTEXT: dict[str, Any] = {
    "aws:principalarn": "arn:aws:iam::111122223333:role/engineers",
    "s3:x-amz-server-side-encryption": "aws:kms",
    "aws:securetransport": "true",
    "aws:epochtime": "1700000000",
    "aws:currenttime": "2026-12-02T10:00:00Z",
    "aws:sourceip": "127.0.0.1",
    "events:source": ["kit.promotion", "kit.drift"],
    "sts:externalid": "Secret-42",
}


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ({"StringEquals": {"sts:ExternalId": "Secret-42"}}, True),
        ({"StringEquals": {"sts:ExternalId": "secret-42"}}, False),
        ({"StringEquals": {"sts:ExternalId": ["nope", "Secret-42"]}}, True),
        ({"StringNotEquals": {"sts:ExternalId": "Secret-42"}}, False),
        ({"StringEqualsIgnoreCase": {"sts:ExternalId": "SECRET-42"}}, True),
        ({"StringNotEqualsIgnoreCase": {"sts:ExternalId": "SECRET-42"}}, False),
        ({"StringLike": {"sts:ExternalId": "Secret-??"}}, True),
        ({"StringLike": {"sts:ExternalId": "Secret-?"}}, False),
        ({"StringNotLike": {"sts:ExternalId": "Other*"}}, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/eng*"}}, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, False),
        ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/engineers"}}, True),
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, False),
        ({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::999999999999:role/engineers"}}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": True}}, True),
        ({"NumericLessThan": {"aws:EpochTime": 1800000000}}, True),
        ({"NumericLessThanEquals": {"aws:EpochTime": "1700000000"}}, True),
        ({"NumericGreaterThan": {"aws:EpochTime": "1700000000"}}, False),
        ({"NumericGreaterThanEquals": {"aws:EpochTime": "1700000000"}}, True),
        ({"NumericEquals": {"aws:EpochTime": "1700000000"}}, True),
        ({"NumericNotEquals": {"aws:EpochTime": "1700000000"}}, False),
        ({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, True),
        ({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, False),
        ({"DateEquals": {"aws:CurrentTime": "2026-12-02T10:00:00Z"}}, True),
        ({"DateNotEquals": {"aws:CurrentTime": "2026-12-02T10:00:00Z"}}, False),
        ({"DateGreaterThanEquals": {"aws:CurrentTime": "2026-12-02T10:00:00Z"}}, True),
        ({"DateLessThanEquals": {"aws:CurrentTime": "2026-12-01T00:00:00Z"}}, False),
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, True),
        ({"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, False),
        ({"Null": {"s3:x-amz-server-side-encryption": "true"}}, False),
        ({"Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"}}, True),
    ],
)
def test_operator_compares_the_request_value_as_aws_does(condition: dict[str, Any], holds: bool) -> None:
    assert conditions_hold(condition, CONTEXT) is holds


def test_a_missing_key_fails_a_positive_operator() -> None:
    assert not conditions_hold({"StringEquals": {"aws:SourceAccount": "111122223333"}}, CONTEXT)


def test_a_missing_key_satisfies_a_negated_operator() -> None:
    assert conditions_hold({"StringNotEquals": {"aws:SourceAccount": "111122223333"}}, CONTEXT)


def test_if_exists_holds_when_the_key_is_missing() -> None:
    assert conditions_hold({"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}, CONTEXT)


def test_if_exists_still_compares_a_present_key() -> None:
    assert not conditions_hold({"StringEqualsIfExists": {"sts:ExternalId": "other"}}, CONTEXT)


def test_for_any_value_holds_when_one_request_value_matches() -> None:
    assert conditions_hold({"ForAnyValue:StringEquals": {"events:source": "kit.drift"}}, CONTEXT)


def test_for_all_values_fails_when_one_request_value_is_outside_the_set() -> None:
    assert not conditions_hold({"ForAllValues:StringEquals": {"events:source": "kit.drift"}}, CONTEXT)


def test_for_all_values_holds_when_every_request_value_is_in_the_set() -> None:
    condition = {"ForAllValues:StringLike": {"events:source": ["kit.*"]}}
    assert conditions_hold(condition, CONTEXT)


def test_for_all_values_holds_on_a_missing_key_and_for_any_value_does_not() -> None:
    assert conditions_hold({"ForAllValues:StringEquals": {"events:detail-type": "x"}}, CONTEXT)
    assert not conditions_hold({"ForAnyValue:StringEquals": {"events:detail-type": "x"}}, CONTEXT)


def test_every_operator_and_key_must_hold() -> None:
    condition = {"StringEquals": {"sts:ExternalId": "Secret-42"}, "Bool": {"aws:SecureTransport": "false"}}
    assert not conditions_hold(condition, CONTEXT)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringMatchesRegex": {"sts:ExternalId": ".*"}},
        {"StringEquals": {"aws:PrincipalTag/team": "ml"}},
        {"StringEquals": {"sts:ExternalId": "${aws:username}"}},
        {"Sometimes:StringEquals": {"sts:ExternalId": "x"}},
    ],
)
def test_an_unsupported_operator_key_or_variable_is_refused(condition: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        conditions_hold(condition, CONTEXT)
