import numpy as np
import pytest

from sergraph_train.data import DataError, load_frames, random_window, read_manifest, split_windows, window_starts, windows


def manifest_with(tmp_path, *lines, files=("a.wav", "b.wav")):
    for name in files:
        (tmp_path / name).write_bytes(b"")
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def refusal(tmp_path, *lines):
    with pytest.raises(DataError) as caught:
        read_manifest(manifest_with(tmp_path, *lines))
    return str(caught.value)


def test_reads_a_manifest_relative_to_its_folder(tmp_path):
    clips = read_manifest(manifest_with(tmp_path, "path,label,speaker,split", "a.wav,happy,s1,train", "b.wav,sad,s2,dev"))
    assert [(c.path, c.label, c.speaker, c.split, c.line) for c in clips] == [
        ("a.wav", "happy", "s1", "train", 2), ("b.wav", "sad", "s2", "dev", 3)]
    assert clips[0].audio == tmp_path / "a.wav"


def test_refuses_a_missing_file_with_its_line(tmp_path):
    message = refusal(tmp_path, "path,label,speaker,split", "a.wav,happy,s1,train", "gone.wav,sad,s1,train")
    assert "m.csv:3:" in message and "gone.wav" in message


def test_refuses_an_unknown_label_with_its_line(tmp_path):
    message = refusal(tmp_path, "path,label,speaker,split", "a.wav,happy,s1,train", "b.wav,bored,s1,train")
    assert "m.csv:3:" in message and "'bored'" in message


def test_refuses_a_duplicate_naming_both_lines(tmp_path):
    message = refusal(tmp_path, "path,label,speaker,split", "a.wav,happy,s1,train", "b.wav,sad,s1,train", "a.wav,angry,s1,dev")
    assert "m.csv:4:" in message and "line 2" in message


@pytest.mark.parametrize("line", ["a.wav,happy,s1", "a.wav,happy,s1,train,extra", "a.wav,,s1,train", ""])
def test_refuses_a_malformed_line_with_its_number(tmp_path, line):
    message = refusal(tmp_path, "path,label,speaker,split", "b.wav,sad,s1,train", line)
    assert "m.csv:3: malformed line" in message


def test_refuses_an_unknown_split_and_a_wrong_header(tmp_path):
    assert "m.csv:2:" in refusal(tmp_path, "path,label,speaker,split", "a.wav,happy,s1,validation")
    assert "m.csv:1:" in refusal(tmp_path, "file,label,speaker,split", "a.wav,happy,s1,train")


def test_window_starts_follow_the_contract():
    assert window_starts(100, 100, 25) == [0]
    assert window_starts(150, 100, 25) == [0, 25, 50]            # the last one ends exactly at N
    assert window_starts(160, 100, 25) == [0, 25, 50, 60]        # end-aligned tail
    assert window_starts(101, 100, 25) == [0, 1]
    assert window_starts(40, 100, 25) == [0]


def test_windows_cover_the_tail_and_repeat_short_clips():
    frames = np.arange(160 * 2, dtype=np.float32).reshape(160, 2)
    w = windows(frames, 100, 25)
    assert w.shape == (4, 100, 2)
    assert np.array_equal(w[3], frames[60:160]) and np.array_equal(w[1], frames[25:125])
    short = np.arange(7 * 2, dtype=np.float32).reshape(7, 2)
    (only,) = windows(short, 20, 5)
    for i in range(20):
        assert np.array_equal(only[i], short[i % 7])


def test_features_must_exist_and_have_the_right_width(synthetic_corpus, tmp_path):
    manifest, features = synthetic_corpus
    clip = read_manifest(manifest)[0]
    with pytest.raises(DataError, match="manifest line 2"):
        load_frames(tmp_path / "elsewhere", clip, 64)
    with pytest.raises(DataError, match=r"frames × 40"):
        load_frames(features, clip, 40)


def test_split_windows_keep_each_windows_clip_and_class(synthetic_corpus):
    manifest, features = synthetic_corpus
    clips = read_manifest(manifest)[:4]
    split = split_windows(clips, features, ["neutral", "happy", "sad", "angry", "fearful"], 16, 4, 64)
    assert len(split.windows) == len(split.targets) == len(split.clip_of)
    for index, clip in enumerate(clips):
        frames = load_frames(features, clip, 64)
        assert np.array_equal(split.windows[split.clip_of == index], windows(frames, 16, 4))
    assert split.clip_targets.tolist() == [0, 0, 0, 1]


def test_random_windows_are_crops_of_the_clip():
    rng = np.random.default_rng(0)
    frames = np.arange(30 * 2, dtype=np.float32).reshape(30, 2)
    starts = set()
    for _ in range(50):
        w = random_window(frames, 16, rng)
        start = int(w[0, 0]) // 2
        assert np.array_equal(w, frames[start:start + 16])
        starts.add(start)
    assert starts == set(range(15))                       # every start 0..N-L occurs
    short = random_window(frames[:5], 16, rng)
    first = int(short[0, 0]) // 2
    assert all(np.array_equal(short[i], frames[(first + i) % 5]) for i in range(16))
