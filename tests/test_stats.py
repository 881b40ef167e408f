import numpy as np
import pytest
from scipy import stats

from dfu_sched.stats import paired_difference, t_interval, t_interval_columns


def test_t_interval_matches_scipy():
    x = np.array([3.1, 2.9, 3.4, 3.0, 3.6, 2.8])
    iv = t_interval(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (iv.estimate, iv.low, iv.high, iv.n) == pytest.approx((x.mean(), lo, hi, 6))


def test_t_interval_ignores_nan_and_handles_tiny_samples():
    assert t_interval([1.0, np.nan, 3.0]).n == 2
    one = t_interval([5.0])
    assert one.estimate == 5.0 and np.isnan(one.low)
    assert t_interval([np.nan]).n == 0


def test_columns_agree_with_scalar_intervals():
    m = np.array([[1.0, 2.0, np.nan], [2.0, 4.0, np.nan], [3.0, 9.0, 1.0]])
    mean, lo, hi = t_interval_columns(m)
    for j in range(2):
        iv = t_interval(m[:, j])
        assert (mean[j], lo[j], hi[j]) == pytest.approx((iv.estimate, iv.low, iv.high))
    assert mean[2] == 1.0 and np.isnan(lo[2])


def test_paired_difference_is_tighter_than_unpaired_under_common_noise():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 10, 30)
    a, b = 100 + noise, 98 + noise + rng.normal(0, 0.5, 30)
    d = paired_difference(a, b)
    assert d.high < 0                     # b is better, and the pairing shows it
    assert (d.high - d.low) < (t_interval(b).high - t_interval(b).low) / 5


def test_intervals_are_clipped_to_the_range_only_when_they_leave_it():
    from dfu_sched.stats import measure_interval

    x = [0.01, 0.02]                     # n = 2: the t interval reaches far below 0
    iv = measure_interval(x, "VH.within_target_share")
    assert iv.low == 0.0 and iv.high == t_interval(x).high and iv.estimate == pytest.approx(0.015)
    near_one = measure_interval([0.999, 1.0], "utilisation.all examiners")
    assert near_one.high == 1.0
    inside = [410.0, 420.0, 415.0, 418.0, 412.0]
    assert measure_interval(inside, "overall.wait_to_start_days.p50") == t_interval(inside)
    assert paired_difference([5.0, 1.0], [1.0, 4.0]).low < 0   # differences are signed: never clipped


def test_column_bands_are_clipped_to_the_range():
    m = np.array([[0.0, 0.9, 5.0], [0.1, 1.0, 50.0]])
    mean, lo, hi = t_interval_columns(m, bounds=(0.0, 1.0))
    assert np.all(lo >= 0) and np.all(hi <= 1)
    plain = t_interval_columns(m)
    assert mean.tolist() == plain[0].tolist()
