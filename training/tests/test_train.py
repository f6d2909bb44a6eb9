import io
import json

import numpy as np
import pytest
import safetensors.numpy

from sergraph_train.__main__ import main
from sergraph_train.augment import Augmentation
from sergraph_train.export import read_model_folder
from sergraph_train.train import Options, Reporter, train


def options(manifest, features, output, **changes):
    settings = dict(data=str(manifest), features=str(features), output=str(output), window_frames=16, hop_frames=4,
                    epochs=3, patience=10, batch_size=16, seed=3, threads=1)
    settings.update(changes)
    return Options(**settings)


def quiet():
    return Reporter(stream=io.StringIO(), progress=False)


def weights(folder):
    return safetensors.numpy.load_file(str(folder / "model.safetensors"))


def test_the_same_seed_gives_the_same_model_and_another_seed_does_not(synthetic_corpus, tmp_path):
    manifest, features = synthetic_corpus
    first = train(options(manifest, features, tmp_path / "one"), quiet())
    second = train(options(manifest, features, tmp_path / "two"), quiet())
    other = train(options(manifest, features, tmp_path / "three", seed=4), quiet())
    a, b, c = weights(tmp_path / "one"), weights(tmp_path / "two"), weights(tmp_path / "three")
    assert all(np.array_equal(a[name], b[name]) for name in a)
    assert (tmp_path / "one/model.safetensors").read_bytes() == (tmp_path / "two/model.safetensors").read_bytes()
    assert first["dev"] == second["dev"]
    assert not all(np.array_equal(a[name], c[name]) for name in a)


def test_loss_decreases_and_the_classes_are_learned(synthetic_corpus, tmp_path):
    manifest, features = synthetic_corpus
    stream = io.StringIO()
    result = train(options(manifest, features, tmp_path / "m", epochs=8, augmentation=Augmentation.off(), seed=1),
                   Reporter(json_lines=True, stream=stream, progress=False))
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    losses = [r["loss"] for r in records if r["event"] == "epoch"]
    assert losses[-1] < 0.5 * losses[0]
    assert result["test"]["ua"] >= 0.8 and result["dev"]["ua"] >= 0.8   # chance is 0.2
    assert records[-1]["event"] == "result" and records[-1]["test"]["clips"] == 15


def test_early_stopping_keeps_the_best_epoch(synthetic_corpus, tmp_path):
    manifest, features = synthetic_corpus
    stream = io.StringIO()
    result = train(options(manifest, features, tmp_path / "m", epochs=12, patience=2, augmentation=Augmentation.off()),
                   Reporter(json_lines=True, stream=stream, progress=False))
    epochs = [json.loads(line) for line in stream.getvalue().splitlines() if '"epoch"' in line and '"event": "epoch"' in line]
    assert result["epochs_run"] == len(epochs) < 12
    best = max(epochs, key=lambda r: (r["dev"]["ua"], -r["epoch"]))
    assert result["best_epoch"] == best["epoch"] == result["epochs_run"] - 2
    assert result["dev"]["ua"] == best["dev"]["ua"]


def test_the_model_folder_round_trips_and_follows_the_contract(synthetic_corpus, tmp_path):
    manifest, features = synthetic_corpus
    train(options(manifest, features, tmp_path / "m", epochs=1, command="sergraph train student --data m.csv"), quiet())
    description = json.loads((tmp_path / "m/model.json").read_text())
    assert description["format"] == "sergraph-student" and description["format_version"] == 1
    assert description["labels"] == ["neutral", "happy", "sad", "angry", "fearful"]
    assert description["architecture"] == {"name": "cnn", "preset": "cnn6-small", "channels": [16, 32, 64, 128],
                                           "kernel": 3, "pool": 2, "embedding_dim": 256, "bn_eps": 1e-5}
    assert description["window"] == {"frames": 16, "hop_frames": 4, "length": 0.16, "hop": 0.04}
    assert len(description["normalization"]["mean"]) == len(description["normalization"]["std"]) == 64
    assert description["training"]["command"] == "sergraph train student --data m.csv"
    tensors = weights(tmp_path / "m")
    expected = {"embedding.weight": (256, 128), "embedding.bias": (256,), "classifier.weight": (5, 256), "classifier.bias": (5,)}
    for i, (inputs, outputs) in enumerate([(1, 16), (16, 32), (32, 64), (64, 128)]):
        expected[f"blocks.{i}.conv.weight"] = (outputs, inputs, 3, 3)
        for name in ("weight", "bias", "running_mean", "running_var"):
            expected[f"blocks.{i}.bn.{name}"] = (outputs,)
    assert {name: tensor.shape for name, tensor in tensors.items()} == expected
    assert all(tensor.dtype == np.float32 for tensor in tensors.values())
    assert (tmp_path / "m/model.safetensors").stat().st_size < 1_000_000
    model, _ = read_model_folder(tmp_path / "m")
    for name, tensor in model.state_dict().items():
        if name in tensors:
            assert np.array_equal(tensor.numpy(), tensors[name])


def test_the_command_line_refuses_a_bad_manifest_with_its_line(synthetic_corpus, tmp_path, capsys):
    manifest, features = synthetic_corpus
    text = manifest.read_text().splitlines()
    text[4] = text[4].replace(",sad,", ",bored,").replace(",happy,", ",bored,").replace(",neutral,", ",bored,")
    manifest.write_text("\n".join(text) + "\n")
    assert main(["--data", str(manifest), "--features", str(features), "-o", str(tmp_path / "m")]) == 2
    assert f"{manifest}:5: unknown label 'bored'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
