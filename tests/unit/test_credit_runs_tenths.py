"""A group's members per tenth of readiness, as the matching run stores them."""

import numpy as np

from marketplace.credit.runs import readiness_tenths


def test_each_tenth_starts_at_its_tenth_and_1_0_counts_in_the_last():
    readiness = np.array([0.0, 0.0999, 0.1, 0.3, 0.7, 0.6999, 0.9, 0.99, 1.0])
    assert readiness_tenths(readiness) == [2, 1, 0, 1, 0, 0, 1, 1, 0, 3]
    assert readiness_tenths(np.array([])) == [0] * 10
