import pytest
import torch

from sergraph_train.model import PRESETS, Architecture, Student, exported_state, minimum_frames, parameter_count


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_has_a_256_wide_embedding_and_the_contracts_names(preset):
    architecture = Architecture.preset_named(preset)
    model = Student(architecture, classes=5).eval()
    windows = torch.randn(2, 32, 64)
    assert model.embed(windows).shape == (2, 256)
    assert model(windows).shape == (2, 5)
    names = set(exported_state(model))
    assert {f"blocks.{len(architecture.channels) - 1}.conv.weight", "embedding.weight", "classifier.bias"} <= names
    assert not any(name.endswith("num_batches_tracked") for name in names)
    assert minimum_frames(architecture) <= 32


def test_the_default_is_under_a_megabyte_and_the_others_are_bigger():
    sizes = {preset: 4 * parameter_count(Student(Architecture.preset_named(preset), classes=5)) for preset in PRESETS}
    assert sizes["cnn6-small"] < 1_000_000
    assert sizes["cnn6-wide"] > sizes["cnn6-small"] and sizes["cnn8"] > sizes["cnn6-small"]


def test_an_unknown_preset_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown preset 'cnn99'; there are cnn6-small, cnn6-wide, cnn8"):
        Architecture.preset_named("cnn99")
