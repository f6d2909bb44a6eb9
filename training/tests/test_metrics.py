import numpy as np

from sergraph_train.metrics import clip_posteriors, confusion, scores


def test_scores_of_a_known_confusion_matrix():
    # class 0: 8 of 10 right; class 1: 1 of 2 right; class 2: 3 of 4 right.
    matrix = np.array([[8, 2, 0], [1, 1, 0], [0, 1, 3]])
    s = scores(matrix)
    assert abs(s["ua"] - (0.8 + 0.5 + 0.75) / 3) < 1e-12
    assert abs(s["wa"] - 12 / 16) < 1e-12
    precision = [8 / 9, 1 / 4, 3 / 3]
    recall = [0.8, 0.5, 0.75]
    f1 = [2 * p * r / (p + r) for p, r in zip(precision, recall)]
    assert abs(s["f1"] - sum(f1) / 3) < 1e-12


def test_classes_without_clips_do_not_count_towards_ua():
    assert scores(np.array([[2, 0], [0, 0]]))["ua"] == 1.0


def test_clip_decision_is_the_mean_of_its_window_posteriors():
    windows = np.array([[0.6, 0.4], [0.1, 0.9], [0.3, 0.7], [1.0, 0.0]])
    clips = clip_posteriors(windows, np.array([0, 0, 0, 1]), 2)
    assert np.allclose(clips, [[1.0 / 3, 2.0 / 3], [1.0, 0.0]])
    assert confusion(np.array([0, 1]), clips.argmax(axis=1), 2).tolist() == [[0, 1], [1, 0]]
