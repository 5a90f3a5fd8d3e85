"""The audit log holds against the kit's own roles, with IAM evaluated by the emulator: records are
appended by the promotion role only, nobody removes one, and `kit audit verify` finds any change."""

from __future__ import annotations

import itertools
import json

import pytest
from botocore.exceptions import ClientError
from moto.s3.models import s3_backends

from cli.main import main
from mlops_kit.aws import AwsClients
from mlops_kit.promotion.audit import AuditEvent, append_event, read_events, verify_audit
from mlops_kit.promotion.audit_chain import record_key
from tests.audit.conftest import APPROVER, AuditWorld, WorldFactory

MODEL = "tumor-classifier"
_prefixes = (f"au{n}" for n in itertools.count())


@pytest.fixture
def world(make_audit_world: WorldFactory, monkeypatch: pytest.MonkeyPatch) -> AuditWorld:
    made = make_audit_world(next(_prefixes))
    monkeypatch.setenv("AWS_ENDPOINT_URL", made.endpoint)
    return made


def promotion_clients(world: AuditWorld) -> AwsClients:
    return AwsClients(env=world.env, session=world.session_of(world.promotion_role_arn), principal_arn="")


def promoted(world: AuditWorld, count: int = 3) -> list[AuditEvent]:
    clients = promotion_clients(world)
    return [
        append_event(
            clients,
            world.env,
            AuditEvent(
                model=MODEL,
                kind="promotion",
                actor="release",
                outcome="promoted",
                target_env="prod",
                detail=str(n),
            ),
        )
        for n in range(count)
    ]


def denied(call: object, **kwargs: object) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)  # type: ignore[operator]
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    return str(caught.value)


def first_version(world: AuditWorld, key: str) -> str:
    versions = world.root("s3").list_object_versions(Bucket=world.bucket, Prefix=key)["Versions"]
    return str(versions[-1]["VersionId"])


def test_the_promotion_role_appends_records_that_read_back_in_order(world: AuditWorld) -> None:
    written = promoted(world)
    assert read_events(promotion_clients(world), world.env, MODEL) == written


def test_the_promotion_role_cannot_delete_a_record_version(world: AuditWorld) -> None:
    promoted(world, 1)
    key = record_key(MODEL, 1)
    s3 = world.as_role("s3", world.promotion_role_arn)
    message = denied(s3.delete_object, Bucket=world.bucket, Key=key, VersionId=first_version(world, key))
    assert "s3:DeleteObjectVersion" in message or "DeleteObject" in message


def test_the_promotion_role_cannot_hide_a_record_behind_a_delete_marker(world: AuditWorld) -> None:
    promoted(world, 1)
    s3 = world.as_role("s3", world.promotion_role_arn)
    denied(s3.delete_object, Bucket=world.bucket, Key=record_key(MODEL, 1))


def test_the_promotion_role_cannot_shorten_a_records_retention(world: AuditWorld) -> None:
    promoted(world, 1)
    key = record_key(MODEL, 1)
    s3 = world.as_role("s3", world.promotion_role_arn)
    denied(
        s3.put_object_retention,
        Bucket=world.bucket,
        Key=key,
        VersionId=first_version(world, key),
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": "2027-01-01T00:00:00Z"},
        BypassGovernanceRetention=True,
    )


def test_the_account_root_cannot_delete_a_record_version(world: AuditWorld) -> None:
    promoted(world, 1)
    key = record_key(MODEL, 1)
    denied(world.root("s3").delete_object, Bucket=world.bucket, Key=key, VersionId=first_version(world, key))


def test_a_role_other_than_the_promotion_role_cannot_append_a_record(world: AuditWorld) -> None:
    s3 = world.as_role("s3", world.engineers_role_arn)
    denied(s3.put_object, Bucket=world.bucket, Key=record_key(MODEL, 1), Body=b"{}")


def test_an_approver_of_approvals_rules_appends_its_approval_record(world: AuditWorld) -> None:
    approver = f"arn:aws:iam::{world.env.account_id}:role/{APPROVER}"
    clients = AwsClients(env=world.env, session=world.session_of(approver), principal_arn=approver)
    event = AuditEvent(model=MODEL, kind="approval", actor=approver, outcome="approved", target_env="prod")
    append_event(clients, world.env, event)
    assert read_events(promotion_clients(world), world.env, MODEL) == [event]


def test_verify_finds_every_chain_intact_after_appends(world: AuditWorld) -> None:
    promoted(world)
    verdicts = verify_audit(world.env, clients=promotion_clients(world))
    assert [(v.model, v.records, v.problem) for v in verdicts] == [
        (m, 3 if m == MODEL else 0, "") for m in world.env.models
    ]


def test_an_overwrite_by_the_promotion_role_keeps_the_record_and_verify_names_it(world: AuditWorld) -> None:
    promoted(world)
    key = record_key(MODEL, 2)
    original = world.root("s3").get_object(Bucket=world.bucket, Key=key)["Body"].read()
    s3 = world.as_role("s3", world.promotion_role_arn)
    s3.put_object(Bucket=world.bucket, Key=key, Body=original.replace(b"promoted", b"rejected"))
    kept = world.root("s3").get_object(Bucket=world.bucket, Key=key, VersionId=first_version(world, key))
    assert kept["Body"].read() == original
    verdict = next(v for v in verify_audit(world.env, clients=promotion_clients(world)) if v.model == MODEL)
    assert verdict.problem == f"{key} was overwritten (2 versions)"


def _stored(world: AuditWorld, key: str) -> object:
    return s3_backends[world.env.account_id]["aws"].buckets[world.bucket].keys.getlist(key)[-1]


def test_verify_names_a_record_altered_in_the_store_behind_s3s_back(world: AuditWorld) -> None:
    promoted(world)
    key = record_key(MODEL, 2)
    stored = _stored(world, key)
    stored.value = stored.value.replace(b"promoted", b"rejected")  # type: ignore[attr-defined]
    verdict = next(v for v in verify_audit(world.env, clients=promotion_clients(world)) if v.model == MODEL)
    assert verdict.problem.startswith(f"{key} was altered")
    assert verdict.records == 1


def test_verify_names_a_record_removed_from_the_store(world: AuditWorld) -> None:
    promoted(world)
    key = record_key(MODEL, 2)
    s3_backends[world.env.account_id]["aws"].buckets[world.bucket].keys.pop(key)
    verdict = next(v for v in verify_audit(world.env, clients=promotion_clients(world)) if v.model == MODEL)
    assert verdict.problem == f"{key} is missing"


def test_kit_audit_verify_exits_0_when_intact_and_1_naming_the_altered_record(
    make_audit_world: WorldFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = make_audit_world("mlkit")  # prod's own names, as `kit --env prod` derives them
    for name, value in {
        "AWS_ENDPOINT_URL": world.endpoint,
        "AWS_ACCESS_KEY_ID": world.env.account_id,
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": world.env.region,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    promoted(world)
    capsys.readouterr()
    assert main(["audit", "verify", "--env", "prod", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["intact"] is True
    stored = _stored(world, record_key(MODEL, 1))
    stored.value = stored.value.replace(b"promoted", b"rejected")  # type: ignore[attr-defined]
    assert main(["audit", "verify", "--env", "prod"]) == 1
    assert f"{record_key(MODEL, 1)} was altered" in capsys.readouterr().out
