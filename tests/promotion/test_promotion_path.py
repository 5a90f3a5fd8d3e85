"""dev -> staging -> prod on the emulator, each environment in its own account, through the CLI."""

from __future__ import annotations

import json

import pytest
from promotion_support import MODEL, PROD_APPROVER_ROLE, identity, release_identity

from cli.main import main
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.promotion.drift_baseline import default_baseline_uri
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def served_config(env: Environment) -> str:

    endpoint = ResourceNames(env).endpoint(MODEL)
    return str(
        admin_clients(env).client("sagemaker").describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    )


def default_baseline(env: Environment) -> bytes:

    uri = default_baseline_uri(env, MODEL)
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bytes(admin_clients(env).client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def test_dev_to_staging_to_prod_with_a_second_identity_approving_for_prod(
    promotion_platform: dict[str, Environment],
    register_dev_version,
    capsys: pytest.CaptureFixture[str],
    assert_plans_empty,
) -> None:
    dev = register_dev_version()
    code, out, err = kit(
        capsys, "promote", MODEL, "--to", "staging", "--version", str(dev.version), "--yes", "--json"
    )
    assert code == 0, err
    staging = json.loads(out)
    assert staging["outcome"] == "promoted"
    assert staging["from"] == {"env": "dev", "version": dev.version, "arn": dev.arn}
    assert all(g["passed"] for g in staging["gates"])
    staging_version = staging["to"]["version"]
    assert served_config(promotion_platform["staging"]).endswith(f"-v{staging_version}")

    # prod needs an approval by someone other than the promoter.
    code, _, err = kit(capsys, "promote", MODEL, "--to", "prod", "--version", str(staging_version), "--yes")
    assert code == 1
    assert "approval ml-lead" in err

    with identity(PROD_APPROVER_ROLE, "alice") as approver:
        code, out, err = kit(
            capsys,
            "approve",
            MODEL,
            str(staging_version),
            "--env",
            "prod",
            "--comment",
            "baked a week in staging",
            "--json",
        )
        assert code == 0, err
        assert json.loads(out)["actor"] == approver

    # ... and the staging version's model card, which the approver read and the audit record cites.
    code, out, err = kit(capsys, "models", "card", MODEL, str(staging_version), "--env", "staging", "--json")
    assert code == 0, err
    card_sha256 = json.loads(out)["sha256"]

    with release_identity() as release:  # as promote.yml promotes: the release workflow's role
        code, out, err = kit(
            capsys, "promote", MODEL, "--to", "prod", "--version", str(staging_version), "--yes", "--json"
        )
    assert code == 0, err
    prod = json.loads(out)
    assert release.startswith("arn:aws:sts::333333333333:assumed-role/mlkit-prod-github-release/")
    assert {g["name"]: g["detail"] for g in prod["gates"]}["model card"].endswith(f"sha256 {card_sha256}")
    assert prod["outcome"] == "promoted"
    assert served_config(promotion_platform["prod"]).endswith(f"-v{prod['to']['version']}")
    assert {g["name"]: g["passed"] for g in prod["gates"]}["approval ml-lead"]
    # The drift baseline travelled dev -> staging -> prod, verified, and is prod's default now.
    assert prod["drift_baseline_uri"] == default_baseline_uri(promotion_platform["prod"], MODEL)
    assert default_baseline(promotion_platform["prod"]) == dev.baseline

    code, out, _ = kit(capsys, "models", "list", "--env", "prod", "--json")
    rows = {r["version"]: r for r in json.loads(out)}
    assert rows[prod["to"]["version"]]["serving"] is True
    assert rows[prod["to"]["version"]]["status"] == "Approved"
    assert rows[prod["to"]["version"]]["source"] == f"staging v{staging_version}"

    code, out, _ = kit(capsys, "models", "show", MODEL, str(prod["to"]["version"]), "--env", "prod", "--json")
    shown = json.loads(out)
    assert shown["lineage"]["source_version_arn"] == staging["to"]["arn"]
    assert shown["metrics"]["auc"] == pytest.approx(0.985)
    assert [e["outcome"] for e in shown["history"]] == ["promoted"]

    code, out, _ = kit(capsys, "audit", "--env", "prod", "--json")
    events = [e for e in json.loads(out) if e["source_version_arn"] == staging["to"]["arn"]]
    assert [(e["kind"], e["outcome"]) for e in events] == [
        ("promotion", "blocked"),
        ("approval", "approved"),
        ("promotion", "promoted"),
    ]
    assert events[1]["actor"] != events[2]["actor"]
    # The blocked attempt found no card; the promotion's record carries the card's sha256.
    assert [e["model_card_sha256"] for e in events] == ["", "", card_sha256]
    # A platform deploy now would change nothing: Terraform agrees with both promotions.
    assert_plans_empty("dev", "staging", "prod")
