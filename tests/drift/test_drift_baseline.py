"""The baseline: quantile bins, category lists, and a versioned JSON document."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlops_kit.drift import (
    BASELINE_FORMAT_VERSION,
    Baseline,
    BaselineError,
    CategoricalFeature,
    NumericFeature,
    build_baseline,
    load_baseline,
)
from mlops_kit.drift.baseline import (
    category_label,
    count_numeric,
    count_numeric_with_numpy,
    decided_in_float32,
    float32_cut_points,
)
from mlops_kit.errors import BadInput


def test_numeric_columns_get_quantile_bins_with_open_outer_bins(rng: np.random.Generator) -> None:
    frame = pd.DataFrame({"x": rng.normal(size=10_000)})

    feature = build_baseline(frame, bins=10).feature("x")

    assert isinstance(feature, NumericFeature)
    assert len(feature.edges) == 9
    quantiles = np.quantile(frame["x"], np.arange(1, 10) / 10)
    # Cut points sit at most two float32 steps above the quantiles (see float32_cut_points).
    assert (feature.edges >= quantiles).all()
    np.testing.assert_allclose(feature.edges, quantiles, rtol=2.5e-7)
    assert len(feature.counts) == 10
    assert feature.counts.sum() == 10_000
    assert all(abs(count - 1_000) <= 1 for count in feature.counts)


def test_bins_can_be_chosen_between_two_and_a_hundred(rng: np.random.Generator) -> None:
    frame = pd.DataFrame({"x": rng.normal(size=1_000)})

    assert len(build_baseline(frame, bins=20).feature("x").counts) == 20
    with pytest.raises(BaselineError, match="bins"):
        build_baseline(frame, bins=1)


def test_text_columns_and_named_columns_are_categorical(mixed_frame: pd.DataFrame) -> None:
    baseline = build_baseline(mixed_frame, categorical=["age"])

    kinds = {feature.name: feature.kind for feature in baseline.features}

    assert kinds == {
        "income": "numeric",
        "age": "categorical",
        "colour": "categorical",
        "member": "categorical",
    }


def test_categories_are_listed_most_frequent_first_with_an_empty_unseen_bucket(
    mixed_frame: pd.DataFrame, mixed_baseline: Baseline
) -> None:
    colour = mixed_baseline.feature("colour")

    assert isinstance(colour, CategoricalFeature)
    assert colour.categories == ("red", "green", "blue", "violet")
    assert colour.counts[-1] == 0
    assert colour.missing == mixed_frame["colour"].isna().sum() > 0


def test_categories_beyond_the_cap_count_as_unseen(mixed_frame: pd.DataFrame) -> None:
    colour = build_baseline(mixed_frame, max_categories=2).feature("colour")

    assert isinstance(colour, CategoricalFeature)
    assert colour.categories == ("red", "green")
    assert colour.counts[-1] == (mixed_frame["colour"].isin(["blue", "violet"])).sum()


def test_missing_and_infinite_values_are_counted_apart_and_in_the_outer_bins(
    mixed_baseline: Baseline,
) -> None:
    income = mixed_baseline.feature("income")

    assert isinstance(income, NumericFeature)
    assert income.counts.sum() + income.missing == 3_000
    assert np.isfinite(income.edges).all()
    assert np.isfinite(income.mean) and np.isfinite(income.std)


def test_a_constant_column_gets_one_edge_and_an_empty_column_none() -> None:
    frame = pd.DataFrame({"constant": [4.0] * 50, "empty": [np.nan] * 50})

    baseline = build_baseline(frame)

    constant, empty = baseline.feature("constant"), baseline.feature("empty")
    assert isinstance(constant, NumericFeature) and isinstance(empty, NumericFeature)
    assert constant.edges.astype(np.float32).tolist() == [4.0]
    assert constant.counts.tolist() == [50, 0]
    assert empty.edges.tolist() == [] and empty.missing == 50


def test_integer_columns_are_counted_without_a_missing_pass() -> None:
    counts, missing = count_numeric(np.array([1, 2, 2, 3, 7], dtype=np.int64), np.array([2.0, 5.0]))

    assert counts.tolist() == [3, 1, 1]
    assert missing == 0


def test_bins_are_closed_on_the_right() -> None:
    counts, missing = count_numeric(np.array([0.5, 1.0, 1.5, 2.0, 2.5, np.nan]), np.array([1.0, 2.0]))

    assert counts.tolist() == [2, 2, 1]
    assert missing == 1


@pytest.mark.parametrize("counter", [count_numeric, count_numeric_with_numpy], ids=["compiled", "numpy"])
def test_float32_cut_points_count_exactly_like_float64_comparisons(
    rng: np.random.Generator, counter: Callable[..., tuple[Any, int]]
) -> None:
    for trial in range(100):
        edges = np.unique(rng.normal(0, 10, rng.integers(1, 12)))
        if trial % 3 == 0:
            edges = np.unique(np.round(edges))  # integer cut points, as in discrete data
        points = float32_cut_points(edges)
        assert decided_in_float32(points)
        assert (points >= edges).all()
        as_float32 = points.astype(np.float32)
        # The hard cases: values at, next to and around the points and their float32 neighbours.
        values = np.concatenate(
            [
                rng.normal(0, 10, 2_000),
                edges,
                points,
                np.nextafter(points, np.inf),
                np.nextafter(points, -np.inf),
                as_float32.astype(np.float64),
                np.nextafter(as_float32, np.float32(np.inf)).astype(np.float64),
                [np.nan, np.inf, -np.inf, 1e300, -1e300, 0.0, -0.0, 5e-324],
            ]
        )
        present = values[~np.isnan(values)]
        expected = np.bincount(np.searchsorted(points, present, side="left"), minlength=len(points) + 1)

        with np.errstate(over="ignore"):  # +-1e300 become +-inf in float32
            as_float32_values = values.astype(np.float32)
        for narrowed in (values, as_float32_values):
            narrowed_present = narrowed[~np.isnan(narrowed)]
            expected_narrowed = np.bincount(
                np.searchsorted(points, narrowed_present.astype(np.float64), side="left"),
                minlength=len(points) + 1,
            )
            counts, missing = counter(narrowed, points)

            assert counts.tolist() == (expected if narrowed is values else expected_narrowed).tolist()
            assert missing == 1


def test_edges_float32_cannot_decide_are_kept_and_compared_in_float64() -> None:
    edges = np.array([0.0, 1e-300, 1e-200, 1e39])  # closer than float32's steps, or beyond its range

    assert float32_cut_points(edges).tolist() == edges.tolist()
    assert not decided_in_float32(edges)
    assert count_numeric(np.array([1e-300, 2e-300, 1e39, 2e39]), edges)[0].tolist() == [0, 1, 1, 1, 1]


def test_a_category_is_known_by_the_same_label_whatever_its_type() -> None:
    assert category_label(3) == category_label(3.0) == category_label(np.int64(3)) == "3"
    assert category_label(2.5) == "2.5"
    assert category_label("red") == "red"
    assert category_label(True) == "True"


def test_json_round_trip_is_exact(mixed_baseline: Baseline) -> None:
    restored = Baseline.from_json(mixed_baseline.to_json())

    assert restored.to_json() == mixed_baseline.to_json()
    assert restored.fingerprint == mixed_baseline.fingerprint
    income = restored.feature("income")
    original = mixed_baseline.feature("income")
    assert isinstance(income, NumericFeature) and isinstance(original, NumericFeature)
    assert income.edges.tobytes() == original.edges.tobytes()


def test_json_document_is_versioned_and_keeps_column_order(mixed_baseline: Baseline) -> None:
    document = json.loads(mixed_baseline.to_json())

    assert document["format"] == "mlops-kit/drift-baseline"
    assert document["version"] == BASELINE_FORMAT_VERSION == 1
    assert [feature["name"] for feature in document["features"]] == ["income", "age", "colour", "member"]
    assert document["rows"] == 3_000


def test_metadata_is_kept_in_the_document(mixed_frame: pd.DataFrame) -> None:
    baseline = build_baseline(mixed_frame, metadata={"data_uri": "s3://bucket/train.csv"})

    assert Baseline.from_json(baseline.to_json()).metadata == {"data_uri": "s3://bucket/train.csv"}


def test_a_newer_format_version_is_refused(mixed_baseline: Baseline) -> None:
    document = mixed_baseline.to_dict() | {"version": 2}

    with pytest.raises(BaselineError, match="version 2 is not supported"):
        Baseline.from_json(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("features"), "invalid baseline"),
        (lambda d: d["features"][0].update(edges=[3.0, 1.0]), "not strictly increasing"),
        (lambda d: d["features"][0].update(counts=[1, 2]), "len\\(edges\\) \\+ 1"),
        (lambda d: d["features"][2].update(kind="ordinal"), "unknown kind"),
        (lambda d: d.update(format="something-else"), "not a baseline document"),
    ],
)
def test_an_invalid_document_is_refused_with_the_reason(
    mixed_baseline: Baseline, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    document = mixed_baseline.to_dict()
    change(document)

    with pytest.raises(BaselineError, match=message):
        Baseline.from_json(json.dumps(document))


def test_loading_a_bad_document_is_bad_input_naming_its_source() -> None:
    with pytest.raises(BadInput, match=r"s3://models/baseline\.json: baseline is not JSON"):
        load_baseline("{not json", source="s3://models/baseline.json")


def _imports(module_file: str) -> tuple[set[str], set[str]]:
    """Top-level modules a file imports unconditionally, and those imported inside a
    `try: ... except ImportError:` guard's body (the optional ones)."""
    tree = ast.parse(Path(module_file).read_text())
    optional = {
        id(node)
        for guard in ast.walk(tree)
        if isinstance(guard, ast.Try)
        and [ast.unparse(handler.type) for handler in guard.handlers if handler.type] == ["ImportError"]
        for statement in guard.body
        for node in ast.walk(statement)
    }
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) and id(node) not in optional
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and id(node) not in optional
    }
    optional_modules = {
        str(node.module)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and id(node) in optional
    }
    return imported - set(sys.stdlib_module_names) - {"__future__"}, optional_modules


def test_baseline_builder_imports_only_numpy_pandas_and_its_document_module() -> None:
    # The file ships into the jobs' images beside baseline_document.py; inside the kit it imports
    # the document module from the package, and the compiled counter when it is built.
    import mlops_kit.drift.baseline as module

    imported, optional = _imports(module.__file__)

    assert imported == {"numpy", "pandas", "baseline_document"}
    assert optional == {"mlops_kit.drift._bin_counts", "mlops_kit.drift.baseline_document"}


def test_baseline_document_module_imports_only_numpy_and_the_standard_library() -> None:
    import mlops_kit.drift.baseline_document as module

    assert _imports(module.__file__) == ({"numpy"}, set())


def test_baseline_modules_alone_count_like_the_installed_kit(tmp_path: Path) -> None:
    import mlops_kit.drift.baseline as module
    import mlops_kit.drift.baseline_document as document_module

    (tmp_path / "baseline.py").write_bytes(Path(module.__file__).read_bytes())
    (tmp_path / "baseline_document.py").write_bytes(Path(document_module.__file__).read_bytes())
    # As in a job's image: only these files, and no mlops_kit package to import from.
    (tmp_path / "probe.py").write_text(
        textwrap.dedent(
            """
            import json, sys
            import numpy as np
            sys.modules["mlops_kit"] = None
            import baseline
            assert baseline._compiled_count_bins is None
            values = np.random.default_rng(5).normal(size=100_003)
            values[::97] = np.nan
            edges = baseline.float32_cut_points(np.array([-1.0, 0.0, 2.5]))
            counts, missing = baseline.count_numeric(values, edges)
            print(json.dumps([counts.tolist(), missing]))
            """
        )
    )
    completed = subprocess.run([sys.executable, "probe.py"], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    values = np.random.default_rng(5).normal(size=100_003)
    values[::97] = np.nan
    counts, missing = count_numeric(values, float32_cut_points(np.array([-1.0, 0.0, 2.5])))

    assert json.loads(completed.stdout) == [counts.tolist(), missing]
