import numpy as np
import pytest

from autoparticles.invariants.space import check_box, check_cutoff, check_positions, displacement, wrap


def test_minimum_image_picks_the_nearest_image():
    box = np.array([10.0, 10.0])
    d = displacement([0.5, 9.5], [9.5, 0.5], box)
    np.testing.assert_allclose(d, [-1.0, 1.0])
    assert np.all(np.abs(displacement(np.random.default_rng(1).uniform(-50, 50, (100, 2)), 0, box)) <= 5)


def test_free_space_displacement_is_plain_difference():
    np.testing.assert_allclose(displacement([0, 0, 0], [30, -40, 5]), [30, -40, 5])


def test_wrap_folds_into_box_and_keeps_images():
    box = np.array([3.0, 4.0, 5.0])
    x = np.random.default_rng(2).uniform(-20, 20, (200, 3))
    w = wrap(x, box)
    assert np.all((w >= 0) & (w < box))
    np.testing.assert_allclose(displacement(x, w, box), 0, atol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: check_positions(np.zeros((4, 5))), "shape"),
        (lambda: check_positions([[0, np.nan]]), "non-finite"),
        (lambda: check_box([1.0, -2.0], 2), "positive"),
        (lambda: check_box([1.0, 2.0, 3.0], 2), "shape"),
        (lambda: check_cutoff(6.0, np.array([10.0, 10.0])), "half the box"),
        (lambda: check_cutoff(-1.0, None), "positive"),
    ],
)
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
