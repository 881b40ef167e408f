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
