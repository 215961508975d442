"""DistributedSampler: every rank's share of an epoch, and DataLoader(sampler=...).

All P ranks' samplers are built in one process (num_replicas=, rank=), so these
properties need no MPI.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.data import DataLoader, DistributedSampler, TensorDataset

sizes = st.integers(1, 60)
ranks = st.integers(1, 7)


def shards(size, replicas, epochs=3, **options):
    """[epoch][rank] -> that rank's indices, for every rank of one job."""
    samplers = [
        DistributedSampler(size, num_replicas=replicas, rank=rank, **options)
        for rank in range(replicas)
    ]
    return [[sampler.epoch_indices() for sampler in samplers] for _ in range(epochs)]


@given(size=sizes, replicas=ranks, shuffle=st.booleans(), seed=st.integers(0, 99))
def test_shards_have_equal_length_and_cover_the_data_set(size, replicas, shuffle, seed):
    for epoch in shards(size, replicas, shuffle=shuffle, seed=seed):
        lengths = {len(shard) for shard in epoch}
        assert lengths == {-(-size // replicas)}  # ⌈N/P⌉ each
        assert set(np.concatenate(epoch)) == set(range(size))  # every sample is read


@given(size=sizes, replicas=ranks, seed=st.integers(0, 99))
def test_shards_are_disjoint_apart_from_the_wrapped_padding(size, replicas, seed):
    padding = -size % replicas
    for epoch in shards(size, replicas, seed=seed):
        counts = np.bincount(np.concatenate(epoch), minlength=size)
        assert counts.sum() == size + padding
        assert (counts >= 1).all() and (counts - 1).sum() == padding
        if padding == 0:
            assert (counts == 1).all()  # no index on two ranks


@given(size=sizes, replicas=ranks, seed=st.integers(0, 99))
def test_drop_last_gives_disjoint_equal_shards(size, replicas, seed):
    if size < replicas:
        with pytest.raises(ValueError, match="at least one"):
            DistributedSampler(size, drop_last=True, num_replicas=replicas, rank=0)
        return
    for epoch in shards(size, replicas, seed=seed, drop_last=True):
        together = np.concatenate(epoch)
        assert {len(shard) for shard in epoch} == {size // replicas}
        assert len(set(together)) == len(together)


@given(size=sizes, replicas=ranks, batch=st.integers(1, 9), seed=st.integers(0, 99))
def test_rank_batches_together_are_the_single_process_batch(size, replicas, batch, seed):
    """Rank r's k-th batch of b is part of one process's k-th batch of P·b (no padding)."""
    size -= size % replicas
    if size == 0:
        return
    one_process = DataLoader(
        TensorDataset(np.arange(size)), replicas * batch, shuffle=True, seed=seed
    )
    per_rank = [
        DataLoader(
            TensorDataset(np.arange(size)),
            batch,
            sampler=DistributedSampler(size, seed=seed, num_replicas=replicas, rank=rank),
        )
        for rank in range(replicas)
    ]
    for _ in range(2):  # two epochs
        rank_batches = [[b[0].numpy() for b in loader] for loader in per_rank]
        for k, (expected,) in enumerate(one_process):
            together = np.concatenate([batches[k] for batches in rank_batches])
            assert sorted(together) == sorted(expected.numpy())


@given(size=sizes, seed=st.integers(0, 99), shuffle=st.booleans())
def test_one_rank_reads_in_the_dataloaders_own_order(size, seed, shuffle):
    dataset = TensorDataset(np.arange(size))
    plain = DataLoader(dataset, batch_size=4, shuffle=shuffle, seed=seed)
    sampled = DataLoader(
        dataset,
        batch_size=4,
        sampler=DistributedSampler(size, shuffle=shuffle, seed=seed, num_replicas=1, rank=0),
    )
    for _ in range(3):
        first = np.concatenate([batch[0].numpy() for batch in plain])
        second = np.concatenate([batch[0].numpy() for batch in sampled])
        assert np.array_equal(first, second)


def test_sampler_state_continues_the_sequence_of_epochs():
    sampler = DistributedSampler(20, seed=3, num_replicas=2, rank=1)
    loader = DataLoader(TensorDataset(np.arange(20)), batch_size=5, sampler=sampler)
    list(loader)
    state = loader.get_state()
    expected = sampler.epoch_indices()
    loader.set_state(state)
    assert np.array_equal(sampler.epoch_indices(), expected)
    assert state["generator"] is None  # this loader has no generator of its own

    def flip(images, rng):
        return images * rng.choice([-1, 1], size=len(images))

    loader = DataLoader(
        TensorDataset(np.arange(20.0)), batch_size=5, seed=4, transform=flip,
        sampler=DistributedSampler(20, seed=3, num_replicas=2, rank=1),
    )  # fmt: skip
    list(loader)
    state = loader.get_state()
    expected = [batch[0].numpy() for batch in loader]
    loader.set_state(state)
    again = [batch[0].numpy() for batch in loader]
    assert all(np.array_equal(a, b) for a, b in zip(again, expected))
    assert len(loader) == 2 and len(sampler) == 10


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_replicas": 2, "rank": 2}, ValueError, "0 <= rank < num_replicas"),
        ({"num_replicas": 0, "rank": 0}, ValueError, "0 <= rank < num_replicas"),
        ({"dataset_size": 1.5}, TypeError, "dataset_size must be an int"),
        ({"dataset_size": 0}, ValueError, "0 samples cannot give each of 2 ranks"),
    ],
)
def test_bad_sampler_arguments(kwargs, error, match):
    arguments = {"dataset_size": 10, "num_replicas": 2, "rank": 0, **kwargs}
    with pytest.raises(error, match=match):
        DistributedSampler(**arguments)


def test_dataloader_refuses_a_sampler_that_does_not_fit():
    dataset = TensorDataset(np.arange(10))
    sampler = DistributedSampler(10, num_replicas=2, rank=0)
    with pytest.raises(ValueError, match="shuffle=True and a sampler"):
        DataLoader(dataset, 2, shuffle=True, sampler=sampler)
    with pytest.raises(ValueError, match="built for 12 samples, but the dataset has 10"):
        DataLoader(dataset, 2, sampler=DistributedSampler(12, num_replicas=2, rank=0))
    with pytest.raises(TypeError, match="a sampler needs len"):
        DataLoader(dataset, 2, sampler=object())


def test_any_iterable_sampler_works():
    class Reversed:
        def __len__(self):
            return 4

        def __iter__(self):
            return iter([3, 2, 1, 0])

    loader = DataLoader(TensorDataset(np.arange(4)), batch_size=3, sampler=Reversed())
    assert [batch[0].numpy().tolist() for batch in loader] == [[3, 2, 1], [0]]
