"""Data-parallel training over MPI (CPUs) or NCCL (GPUs): FORMULAS T8.

    import minidl as mdl
    from minidl import distributed

    communicator = distributed.init()                     # under: mpiexec -n 2 python train.py
    optimizer = distributed.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1))
    sampler = mdl.data.DistributedSampler(len(dataset), seed=0)   # this rank's share
    loader = mdl.data.DataLoader(dataset, batch_size=32, sampler=sampler)
    mdl.train.fit(model, loss_fn, optimizer, loader, epochs=10)  # prints on rank 0 only

communicator.py  init(), Communicator: rank, world size, barrier, the collectives (MPI)
nccl.py          the NCCL Communicator: device buffers stay on the GPU
parallel.py      broadcast_parameters, allreduce_gradients, DistributedOptimizer (T8)
failures.py      the abort hook and the watchdog: one failed rank stops the job

Nothing here starts MPI on import: mpi4py is imported by ``init()``. docs/distributed.md
explains the design and how to run it on a cluster.
"""

from minidl.distributed.communicator import (
    Communicator,
    get_communicator,
    init,
    is_initialized,
)
from minidl.distributed.parallel import (
    DistributedOptimizer,
    allreduce_gradients,
    broadcast_optimizer_state,
    broadcast_parameters,
)

__all__ = [
    "Communicator",
    "DistributedOptimizer",
    "allreduce_gradients",
    "broadcast_optimizer_state",
    "broadcast_parameters",
    "get_communicator",
    "init",
    "is_initialized",
]
