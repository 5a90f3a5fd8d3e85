"""`kit models check`: the shipped models pass; each broken manifest of the corpus is refused with
exit 2, one `file: field: message` line per problem naming the field, and no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.main import main as kit

REPO = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad"
WINE = REPO / "models" / "wine-classifier"

# corpus file (a broken copy of wine-classifier's manifest) -> (field named, words of the message)
BAD_MANIFESTS: dict[str, tuple[str, str]] = {
    "missing_entry_point.yaml": ("entry_points.train", "no file fit.py"),
    "evaluate_function_missing.yaml": ("entry_points.evaluate", "defines no function score"),
    "inference_without_model_fn.yaml": ("entry_points.inference", "defines no model_fn"),
    "entry_point_outside_folder.yaml": ("entry_points.train", "inside the model folder"),
    "schema_column_data_lacks.yaml": ("schema.features[12].name", "'residual_sugar' is not in the data"),
    "target_column_data_lacks.yaml": ("schema.target.name", "'variety' is not in the data"),
    "category_data_holds_more.yaml": ("schema.features[13].categories", "holds high"),
    "range_data_exceeds.yaml": ("schema.features[12].max", "above 1000"),
    "no_gated_metric.yaml": ("metrics", "dev gates on auc, accuracy"),
    "unknown_key.yaml": ("entry_point", "unknown key"),
    "wrong_type.yaml": ("resources.gpus", "valid integer"),
    "gpu_on_cpu_instance.yaml": ("resources.gpus", "would train on ml.m5.large in dev"),
    "binary_task_three_classes.yaml": ("schema", "binary_classification needs 2 target classes"),
    "two_runtimes.yaml": ("(file)", "exactly one of framework, image, dockerfile"),
    "name_not_the_folder.yaml": ("name", "is 'wine-model'"),
    "missing_schema.yaml": ("schema", "required key is missing"),
    "fairness_attribute_not_in_schema.yaml": (
        "fairness",
        "sensitive_attribute 'region' is not a feature of the schema",
    ),
    "fairness_attribute_numeric.yaml": ("fairness", "sensitive_attribute 'alcohol' must be a categorical"),
    "fairness_multiclass_without_favorable_class.yaml": (
        "fairness",
        "favorable_class is required for multiclass_classification",
    ),
    "fairness_favorable_class_unknown.yaml": ("fairness", "favorable_class 7 is not one of target.classes"),
}


def run_kit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = kit(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def broken_copy(tmp_path: Path, manifest: Path) -> Path:
    """wine-classifier's folder with the corpus manifest in place of its own."""
    folder = tmp_path / "wine-classifier"
    shutil.copytree(WINE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(manifest, folder / "model.yaml")
    return folder


def test_the_shipped_models_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_kit(capsys, "models", "check")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["tumor-classifier", "wine-classifier"]
    assert "30 features, 0 categorical; schema holds on 569 rows" in lines[0]
    assert "14 features, 1 categorical; schema holds on 178 rows" in lines[1]
    assert "meets the gates of dev, staging, prod" in lines[1]


def test_one_model_by_name_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, _ = run_kit(capsys, "models", "check", "wine-classifier", "--json")
    assert code == 0
    [checked] = json.loads(out)
    assert checked["task"] == "multiclass_classification" and checked["categorical"] == 1


def test_corpus_covers_every_bad_manifest() -> None:
    assert {p.name for p in BAD.glob("*.yaml")} == set(BAD_MANIFESTS)


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS))
def test_each_broken_manifest_is_refused_naming_the_field(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = broken_copy(tmp_path, BAD / name)
    code, out, err = run_kit(capsys, "models", "check", "--path", str(folder))
    assert code == 2 and not out
    assert "Traceback" not in err
    field, words = BAD_MANIFESTS[name]
    manifest = str(folder / "model.yaml")
    lines = [line.removeprefix("error: ") for line in err.strip().splitlines()]
    assert all(line.startswith(f"{manifest}: ") for line in lines), err
    assert any(line.startswith(f"{manifest}: {field}: ") and words in line for line in lines), err


def test_an_entry_point_that_fails_to_import_is_a_problem_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = broken_copy(tmp_path, WINE / "model.yaml")
    (folder / "evaluation.py").write_text("import xgboost_not_installed\n")
    code, _, err = run_kit(capsys, "models", "check", "--path", str(folder))
    assert code == 2 and "Traceback" not in err
    assert "model.yaml: entry_points.evaluate: cannot load evaluation:metrics: ModuleNotFoundError" in err


def test_a_registration_without_its_folder_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    environments = tmp_path / "environments"
    shutil.copytree(REPO / "environments", environments)
    dev = environments / "dev.yaml"
    dev.write_text(dev.read_text().replace("path: models/tumor-classifier", "path: models/tumour"))
    monkeypatch.setenv("KIT_ENVIRONMENTS_DIR", str(environments))
    code, _, err = run_kit(capsys, "models", "check", "tumor-classifier")
    assert code == 2
    assert "environments/dev.yaml: registry.models[0].path: no model folder models/tumour" in err


def test_an_unknown_model_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_kit(capsys, "models", "check", "no-such-model")
    assert code == 2 and "no model 'no-such-model'" in err


def test_the_models_preprocess_function_runs_before_the_schema_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = broken_copy(tmp_path, WINE / "model.yaml")
    (folder / "features.py").write_text(
        "def prepare(frame):\n    return frame.drop(columns=['alcohol_level'])\n"
    )
    manifest = folder / "model.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "  inference: inference.py", "  inference: inference.py\n  preprocess: features:prepare"
        )
    )
    code, _, err = run_kit(capsys, "models", "check", "--path", str(folder))
    assert code == 2
    assert f"{manifest}: schema.features[13].name: column 'alcohol_level' is not in the data" in err
