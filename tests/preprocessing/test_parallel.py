"""`map_batches`: ordered results, bounded read-ahead, state sent once."""

from textrnn.preprocessing.parallel import map_batches


def scaled_sum(factor, batch):
    return factor * sum(batch)


def test_results_in_order_in_this_process_and_in_workers():
    batches = [list(range(i, i + 3)) for i in range(20)]
    expected = [10 * sum(batch) for batch in batches]
    for num_proc in (1, 2):
        assert list(map_batches(scaled_sum, iter(batches), 10, num_proc)) == expected


def test_workers_read_at_most_two_batches_each_ahead():
    consumed = []

    def stream():
        for i in range(1000):
            consumed.append(i)
            yield [i]

    results = map_batches(scaled_sum, stream(), 1, num_proc=2)
    assert next(results) == 0
    assert len(consumed) <= 2 * 2 + 1
    assert sum(results) == sum(range(1, 1000))
