import io
import json
import wave

import numpy as np
import pytest
import safetensors.numpy
import torch

from sergraph_train.audio import read_wav
from sergraph_train.data import DEFAULT_LABELS, DataError
from sergraph_train.teacher import TeacherOptions, train_teacher
from sergraph_train.teacher_command import main
from sergraph_train.train import Reporter

from conftest import write_audio_corpus

# A configuration small enough that a test trains it in seconds.
TINY = {"conv_dim": [8] * 7, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
        "num_conv_pos_embeddings": 8, "num_conv_pos_embedding_groups": 2, "classifier_proj_size": 12}


@pytest.fixture
def audio_corpus(tmp_path):
    return write_audio_corpus(tmp_path / "corpus")


def options(manifest, output, **changes):
    settings = dict(data=str(manifest), output=str(output), config=dict(TINY), epochs=2, batch_size=8, crop_seconds=0.2,
                    seed=3, threads=1)
    settings.update(changes)
    return TeacherOptions(**settings)


def quiet():
    return Reporter(stream=io.StringIO(), progress=False)


def weights(folder):
    return safetensors.numpy.load_file(str(folder / "model.safetensors"))


def test_read_wav_reads_pcm_and_refuses_another_rate(tmp_path):
    path = tmp_path / "x.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(np.array([16384, 0, -32768, -16384], dtype="<i2").tobytes())
    assert read_wav(path).tolist() == [0.25, -0.75]
    with pytest.raises(DataError, match="x.wav: 16000 Hz audio; the teacher takes 8000 Hz"):
        read_wav(path, rate=8000)


def test_the_same_seed_gives_the_same_weights_and_the_folder_reloads_in_transformers(audio_corpus, tmp_path):
    from transformers import AutoModelForAudioClassification
    first = train_teacher(options(audio_corpus, tmp_path / "one"), quiet())
    train_teacher(options(audio_corpus, tmp_path / "two"), quiet())
    train_teacher(options(audio_corpus, tmp_path / "three", seed=4), quiet())
    a, b, c = weights(tmp_path / "one"), weights(tmp_path / "two"), weights(tmp_path / "three")
    assert (tmp_path / "one/model.safetensors").read_bytes() == (tmp_path / "two/model.safetensors").read_bytes()
    assert not all(np.array_equal(a[name], c[name]) for name in a)

    config = json.loads((tmp_path / "one/config.json").read_text())
    assert config["architectures"] == ["Wav2Vec2ForSequenceClassification"]
    assert config["id2label"] == {str(i): label for i, label in enumerate(DEFAULT_LABELS)}
    assert config["classifier_proj_size"] == 12 and config["hidden_size"] == 16
    assert a["projector.weight"].shape == (12, 16) and a["classifier.weight"].shape == (5, 12)
    training = json.loads((tmp_path / "one/training.json").read_text())
    assert training["mode"] == "scratch" and training["seed"] == 3 and training["dev"]["ua"] == round(first["dev"]["ua"], 4)

    # Reloaded by transformers, the model gives the test figures the trainer reported.
    model = AutoModelForAudioClassification.from_pretrained(str(tmp_path / "one")).eval()
    assert all(np.array_equal(tensor.numpy(), a[name]) for name, tensor in model.state_dict().items() if name in a)
    rows = []
    for line in audio_corpus.read_text().splitlines()[1:]:
        path, label, _, split = line.split(",")
        if split == "test":
            with torch.no_grad():
                logits = model(torch.from_numpy(read_wav(audio_corpus.parent / path))[None]).logits
            rows.append(int(logits.argmax()) == DEFAULT_LABELS.index(label))
    assert len(rows) == first["test"]["clips"] == 10
    assert abs(np.mean(rows) - first["test"]["wa"]) < 1e-9


def test_a_teacher_learns_the_tones(tmp_path):
    manifest = write_audio_corpus(tmp_path / "corpus", clips_per_class=4)
    stream = io.StringIO()
    result = train_teacher(options(manifest, tmp_path / "m", epochs=25, patience=25, learning_rate=3e-3, seed=1),
                           Reporter(json_lines=True, stream=stream, progress=False))
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    losses = [r["loss"] for r in records if r["event"] == "epoch"]
    assert losses[-1] < 0.6 * losses[0]
    assert result["dev"]["ua"] >= 0.8 and result["test"]["ua"] >= 0.6   # chance is 0.2
    assert records[-1]["event"] == "result" and records[-1]["test"]["clips"] == 20


def test_freeze_encoder_trains_only_the_head_and_fine_tuning_keeps_the_feature_encoder(audio_corpus, tmp_path):
    train_teacher(options(audio_corpus, tmp_path / "base"), quiet())
    base = weights(tmp_path / "base")
    stream = io.StringIO()
    train_teacher(options(audio_corpus, tmp_path / "head", from_folder=str(tmp_path / "base"), freeze_encoder=True, config=None),
                  Reporter(json_lines=True, stream=stream, progress=False))
    head = weights(tmp_path / "head")
    moved = {name for name in base if not np.array_equal(base[name], head[name])}
    moved_head = {"projector.weight", "projector.bias", "classifier.weight", "classifier.bias"}
    assert moved == moved_head
    assert "a fresh head" not in stream.getvalue()

    # --new-head: the head starts afresh (seeded) although the labels match; the encoder stays frozen.
    stream = io.StringIO()
    train_teacher(options(audio_corpus, tmp_path / "new", from_folder=str(tmp_path / "base"), freeze_encoder=True, new_head=True,
                          config=None, epochs=1), Reporter(stream=stream, progress=False))
    assert "its head is replaced by a fresh one (--new-head)" in stream.getvalue()
    new = weights(tmp_path / "new")
    assert {name for name in base if not np.array_equal(base[name], new[name])} == moved_head
    # A kept head moves by at most a few Adam steps of 1e-3 in one epoch; a fresh one is another N(0, 0.02) draw.
    assert np.abs(new["classifier.weight"] - base["classifier.weight"]).max() > 0.02

    train_teacher(options(audio_corpus, tmp_path / "tuned", from_folder=str(tmp_path / "base"), config=None), quiet())
    tuned = weights(tmp_path / "tuned")
    moved = {name for name in base if not np.array_equal(base[name], tuned[name])}
    assert not any(name.startswith("wav2vec2.feature_extractor.") for name in moved)
    assert any(name.startswith("wav2vec2.encoder.layers.") for name in moved)


def test_a_checkpoint_with_other_labels_gets_a_fresh_head_and_says_so(audio_corpus, tmp_path):
    train_teacher(options(audio_corpus, tmp_path / "base"), quiet())
    lines = audio_corpus.read_text().splitlines()
    kept = [line for line in lines if ",fearful," not in line]
    (audio_corpus.parent / "four.csv").write_text("\n".join(kept) + "\n")
    stream = io.StringIO()
    train_teacher(options(audio_corpus.parent / "four.csv", tmp_path / "four", from_folder=str(tmp_path / "base"), config=None,
                          labels=("sad", "neutral", "happy", "angry")), Reporter(stream=stream, progress=False))
    assert "its head's labels (neutral, happy, sad, angry, fearful) differ from sad, neutral, happy, angry: a fresh head is trained" \
        in stream.getvalue()
    assert weights(tmp_path / "four")["classifier.weight"].shape == (4, 12)
    assert json.loads((tmp_path / "four/config.json").read_text())["id2label"] == {"0": "sad", "1": "neutral", "2": "happy", "3": "angry"}


def test_float16_storage(audio_corpus, tmp_path):
    train_teacher(options(audio_corpus, tmp_path / "half", dtype="float16"), quiet())
    tensors = weights(tmp_path / "half")
    assert all(tensor.dtype == np.float16 for tensor in tensors.values())


def test_the_command_line_refuses_bad_input_naming_it(audio_corpus, tmp_path, capsys):
    text = audio_corpus.read_text().splitlines()
    fields = text[3].split(",")
    text[3] = ",".join([fields[0], "bored", *fields[2:]])
    (audio_corpus.parent / "bad.csv").write_text("\n".join(text) + "\n")
    assert main(["--data", str(audio_corpus.parent / "bad.csv"), "-o", str(tmp_path / "m")]) == 2
    assert f"{audio_corpus.parent / 'bad.csv'}:4: unknown label 'bored'" in capsys.readouterr().err
    assert main(["--data", str(audio_corpus), "-o", str(tmp_path / "m"), "--from", str(tmp_path / "nowhere")]) == 2
    assert f"{tmp_path / 'nowhere'}: not a checkpoint folder (no config.json)" in capsys.readouterr().err
    assert main(["--data", str(audio_corpus), "-o", str(tmp_path / "m"), "--config", '{"hidden_sise": 8}']) == 2
    assert "--config: hidden_sise is not a Wav2Vec2Config field" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--data", str(audio_corpus), "-o", str(tmp_path / "m"), "--freeze-encoder"])
    assert "--freeze-encoder needs --from DIR" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
