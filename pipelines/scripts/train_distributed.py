"""Distributed train step for the EKS cluster: data-parallel logistic regression over WORLD_SIZE
workers, gradients summed across workers each step (an all-reduce over TCP through rank 0).

The environment is what a torchrun-style launcher (or `kit train --on eks`'s indexed Job) injects:
RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; KIT_DATA_URI (a CSV: local path or s3://) and
SM_MODEL_DIR. Every worker reads the same deterministic split (preprocess.split) and trains on its
shard of the training rows; rank 0 writes the model folder of the `train.py` contract
(model.joblib, features.json, hyperparameters.json, validation_predictions.csv, code/inference.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import struct
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).parent))
from preprocess import split

TARGET = "target"


class TcpAllReduce:
    """Sum float64 vectors across workers: workers send to rank 0, which sums and sends back."""

    def __init__(self, rank: int, world: int, host: str, port: int, timeout: float = 120.0) -> None:
        self.rank, self.world = rank, world
        self.peers: list[socket.socket] = []
        if world == 1:
            return
        if rank == 0:
            server = socket.create_server(("", port))
            server.settimeout(timeout)
            while len(self.peers) < world - 1:
                peer, _ = server.accept()
                self.peers.append(peer)
            server.close()
        else:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    self.peers.append(socket.create_connection((host, port), timeout=timeout))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

    @staticmethod
    def _send(peer: socket.socket, vector: np.ndarray) -> None:
        data = vector.astype("<f8").tobytes()
        peer.sendall(struct.pack("<Q", len(data)) + data)

    @staticmethod
    def _receive(peer: socket.socket) -> np.ndarray:
        def exactly(size: int) -> bytes:
            chunks = b""
            while len(chunks) < size:
                chunk = peer.recv(size - len(chunks))
                if not chunk:
                    raise ConnectionError("a worker closed the connection")
                chunks += chunk
            return chunks

        (size,) = struct.unpack("<Q", exactly(8))
        return np.frombuffer(exactly(size), dtype="<f8").copy()

    def sum(self, vector: np.ndarray) -> np.ndarray:
        if self.world == 1:
            return vector
        if self.rank == 0:
            total = vector.astype("f8").copy()
            for peer in self.peers:
                total += self._receive(peer)
            for peer in self.peers:
                self._send(peer, total)
            return total
        self._send(self.peers[0], vector)
        return self._receive(self.peers[0])


def read_data(uri: str) -> pd.DataFrame:
    if uri.startswith("s3://"):
        import boto3

        bucket, key = uri[len("s3://") :].split("/", 1)
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        return pd.read_csv(body)
    return pd.read_csv(uri)


def fitted_model(mean: np.ndarray, scale: np.ndarray, weights: np.ndarray, features: list[str]) -> Pipeline:
    """The trained parameters as a scikit-learn pipeline (what evaluate and inference load)."""
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = mean, scale, scale**2
    scaler.n_features_in_, scaler.feature_names_in_ = len(features), np.array(features, dtype=object)
    scaler.n_samples_seen_ = 0
    classifier = LogisticRegression()
    classifier.coef_, classifier.intercept_ = weights[None, 1:], weights[:1]
    classifier.classes_, classifier.n_features_in_ = np.array([0, 1]), len(features)
    classifier.n_iter_ = np.array([0])
    return Pipeline([("scale", scaler), ("classify", classifier)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning_rate", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--l2", type=float, default=0.001)
    args = parser.parse_args(argv)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    reduce = TcpAllReduce(rank, world, os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]))

    parts = split(read_data(os.environ["KIT_DATA_URI"]), TARGET)
    features = [c for c in parts["train"].columns if c != TARGET]
    shard = parts["train"].iloc[rank::world]
    x, y = shard[features].to_numpy("f8"), shard[TARGET].to_numpy("f8")

    # Global standardisation: counts, sums and sums of squares summed over the shards.
    stats = reduce.sum(np.concatenate([[len(x)], x.sum(0), (x**2).sum(0)]))
    count = stats[0]
    mean = stats[1 : 1 + len(features)] / count
    scale = np.sqrt(np.maximum(stats[1 + len(features) :] / count - mean**2, 1e-12))
    design = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])

    weights = np.zeros(design.shape[1])
    for _ in range(args.epochs):
        probability = 1 / (1 + np.exp(-design @ weights))
        gradient = reduce.sum(design.T @ (probability - y)) / count + args.l2 * np.r_[0, weights[1:]]
        weights -= args.learning_rate * gradient

    if rank != 0:
        return 0
    model = fitted_model(mean, scale, weights, features)
    validation = parts["validation"]
    auc = roc_auc_score(validation[TARGET], model.predict_proba(validation[features])[:, 1])
    print(f"validation:auc={auc:.6f} workers={world}")
    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / "model.joblib")
    (model_dir / "features.json").write_text(json.dumps({"features": features, "target": TARGET}))
    hyperparameters = {**{k: str(v) for k, v in sorted(vars(args).items())}, "world_size": str(world)}
    (model_dir / "hyperparameters.json").write_text(json.dumps(hyperparameters, sort_keys=True))
    # The baseline of prediction drift, as train.py writes it (the scripts ship one by one).
    answered = model.predict_proba(validation[features])[:, 1]
    pd.DataFrame({"label": (answered >= 0.5).astype(int), "probability": answered.round(6)}).to_csv(
        model_dir / "validation_predictions.csv", index=False
    )
    code = model_dir / "code"
    code.mkdir(exist_ok=True)
    shutil.copyfile(inference_script(), code / "inference.py")
    return 0


def inference_script() -> Path:
    """tumor-classifier's inference entry point: beside this script in a job image that ships it,
    else in the repository's model folder (local workers run from the checkout)."""
    beside = Path(__file__).with_name("inference.py")
    if beside.is_file():
        return beside
    return Path(__file__).resolve().parents[2] / "models" / "tumor-classifier" / "inference.py"


if __name__ == "__main__":
    sys.exit(main())
