"""``init()`` and the Communicator: who am I, how many are we, and the collectives.

MPI starts the processes (``mpiexec -n 4 python train.py``); each one is a *rank*
numbered 0 … P−1 and runs the same script. ``init()`` joins them (MPI_Init, through
mpi4py), installs the guards of ``failures.py`` and keeps BLAS from starting more threads
than the node has cores. The Communicator then offers the few collectives that
data-parallel training needs, each on one buffer:

    allreduce_sum_(buffer)       every rank's buffer becomes the sum over the ranks, in place
    broadcast_(buffer, root)     every rank's buffer becomes rank root's, in place
    broadcast_object / allgather_object   small Python objects (checks, checkpoints)

This MPI Communicator moves host (NumPy) arrays; a device array goes through the host.
``nccl.py`` adds a Communicator whose device arrays stay on the GPU.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from typing import Any

import numpy as np

from minidl.backend import backend_of
from minidl.distributed.failures import Watchdog, install_abort_hook
from minidl.errors import BackendUnavailableError

BACKENDS = ("mpi", "nccl")
# Environment variables through which a user sets the BLAS thread count themselves.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_communicator: Communicator | None = None


def init(backend: str = "mpi", timeout: float | None = 120) -> Communicator:
    """Join the other ranks and return this process's Communicator.

    ``backend="mpi"`` (CPU, any MPI through mpi4py) or ``"nccl"`` (one GPU per rank,
    NCCL through CuPy). ``timeout``: seconds a collective may wait for the other ranks
    before the job is aborted with a message naming the collective and the rank; None
    waits forever. Calling ``init`` again returns the same Communicator.

    With more than one rank it also: installs the abort hook (an uncaught exception on
    one rank stops the job); and, unless OMP_NUM_THREADS / OPENBLAS_NUM_THREADS /
    MKL_NUM_THREADS is set, limits BLAS to cores ÷ ranks-on-this-node threads per rank,
    warning when ranks × BLAS threads still exceed the cores.
    """
    global _communicator
    if backend not in BACKENDS:
        raise ValueError(
            f"minidl.distributed.init: unknown backend {backend!r}; use 'mpi' or 'nccl'"
        )
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise ValueError(
            f"minidl.distributed.init: timeout must be a number of seconds > 0 or None, "
            f"got {timeout!r}"
        )
    if _communicator is not None:
        if _communicator.backend != backend:
            raise RuntimeError(
                f"minidl.distributed.init(backend={backend!r}): already initialised with "
                f"backend {_communicator.backend!r}; a process joins the ranks once"
            )
        return _communicator
    if backend == "nccl":
        from minidl.distributed.nccl import NcclCommunicator, require_nccl

        cupy, nccl = require_nccl()  # before MPI starts, so a missing GPU is a plain error
        communicator: Communicator = NcclCommunicator(_import_mpi(), timeout, cupy, nccl)
    else:
        communicator = Communicator(_import_mpi(), timeout)
    if communicator.world_size > 1:
        install_abort_hook(communicator.rank, communicator.world_size, communicator.abort)
        _limit_blas_threads(communicator)
    _communicator = communicator
    return communicator


def is_initialized() -> bool:
    """True after ``init()`` in this process."""
    return _communicator is not None


def get_communicator() -> Communicator:
    """The Communicator ``init()`` returned; a clear error before ``init()``."""
    if _communicator is None:
        raise RuntimeError(
            "minidl.distributed is not initialised in this process: call "
            "minidl.distributed.init() first (and start the ranks with mpiexec -n P ...)"
        )
    return _communicator


class Communicator:
    """One rank's view of the job, over an MPI communicator (mpi4py's COMM_WORLD).

    ``rank`` (0 … world_size−1), ``world_size`` (P), ``is_main`` (rank 0: the one that
    prints and writes files), ``local_rank`` / ``local_size`` (this rank among the ranks
    on the same machine), ``barrier()``, and the in-place collectives listed above.
    Every collective runs under the watchdog.
    """

    backend = "mpi"

    def __init__(self, mpi: Any, timeout: float | None) -> None:
        self.MPI = mpi
        self.mpi_comm = mpi.COMM_WORLD
        self.rank: int = self.mpi_comm.Get_rank()
        self.world_size: int = self.mpi_comm.Get_size()
        node = self.mpi_comm.Split_type(mpi.COMM_TYPE_SHARED)  # the ranks on this machine
        self.local_rank: int = node.Get_rank()
        self.local_size: int = node.Get_size()
        node.Free()
        self.watchdog = Watchdog(timeout, self.rank, self.abort)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        """Wait until every rank has reached this call."""
        with self.watchdog.watch("Barrier"):
            self.mpi_comm.Barrier()

    def allreduce_sum_(self, buffer: Any, purpose: str = "allreduce") -> None:
        """Replace ``buffer`` on every rank by the element-wise sum over the ranks."""
        host = _as_host(buffer)
        with self.watchdog.watch(f"Allreduce of {host.nbytes} bytes ({purpose})"):
            self.mpi_comm.Allreduce(self.MPI.IN_PLACE, host, op=self.MPI.SUM)
        _copy_back(host, buffer)

    def broadcast_(self, buffer: Any, root: int = 0, purpose: str = "broadcast") -> None:
        """Replace ``buffer`` on every rank by rank ``root``'s."""
        host = _as_host(buffer)
        with self.watchdog.watch(f"Bcast of {host.nbytes} bytes from rank {root} ({purpose})"):
            self.mpi_comm.Bcast(host, root=root)
        _copy_back(host, buffer)

    def broadcast_object(self, value: Any, root: int = 0, purpose: str = "broadcast") -> Any:
        """Rank ``root``'s ``value`` (any picklable object), on every rank."""
        with self.watchdog.watch(f"bcast of a Python object from rank {root} ({purpose})"):
            return self.mpi_comm.bcast(value, root=root)

    def allgather_object(self, value: Any, purpose: str = "allgather") -> list[Any]:
        """[rank 0's value, rank 1's value, ...] on every rank."""
        with self.watchdog.watch(f"allgather of a Python object ({purpose})"):
            return self.mpi_comm.allgather(value)

    def sum_over_ranks(self, *values: float, purpose: str = "sum") -> tuple[float, ...]:
        """Host numbers summed over the ranks (e.g. an epoch's loss sum and sample count)."""
        buffer = np.array(values, dtype=np.float64)
        self.allreduce_sum_(buffer, purpose)
        return tuple(float(value) for value in buffer)

    def abort(self, message: str) -> None:
        """Print ``message`` and stop every rank of the job (MPI_Abort)."""
        sys.stdout.flush()
        sys.stderr.write(f"\n{message}\n")
        sys.stderr.flush()
        # mpiexec forwards each rank's output through a pipe; the abort tears the job down
        # at once and may drop what is still in that pipe (seen in a loaded test run): give
        # the forwarder a moment to pass the message on.
        time.sleep(0.2)
        self.mpi_comm.Abort(1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank {self.rank} of {self.world_size})"


# --------------------------------------------------------------------------- helpers


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except (ImportError, OSError, RuntimeError) as error:
        raise BackendUnavailableError(
            "minidl.distributed needs mpi4py and an MPI library, which are not usable here "
            f"({error}); install both with: pip install 'minidl[dist]'"
        ) from error
    return MPI


def _as_host(buffer: Any) -> np.ndarray:
    """``buffer`` itself when it is a contiguous NumPy array, else a host copy of it."""
    if isinstance(buffer, np.ndarray):
        if not buffer.flags.c_contiguous:
            raise ValueError("minidl.distributed: collectives need a contiguous buffer")
        return buffer
    return backend_of(buffer).to_host(buffer)


def _copy_back(host: np.ndarray, buffer: Any) -> None:
    if host is not buffer:
        buffer[...] = backend_of(buffer).asarray(host)


def blas_thread_warning(ranks_on_node: int, threads_per_rank: int, cores: int) -> str | None:
    """The warning to give when the ranks' BLAS threads outnumber the cores, else None."""
    if ranks_on_node * threads_per_rank <= cores:
        return None
    return (
        f"minidl.distributed: {ranks_on_node} ranks × {threads_per_rank} BLAS threads on a "
        f"machine with {cores} cores; the ranks will fight over the cores (2 ranks × 2 "
        f"threads on 2 cores made a training step 20× slower). Set OMP_NUM_THREADS="
        f"{max(1, cores // ranks_on_node)}, or leave it unset with threadpoolctl installed "
        "(pip install 'minidl[dist]') so that init() sets it"
    )


def _limit_blas_threads(communicator: Communicator) -> None:
    """cores ÷ ranks-on-this-node BLAS threads per rank, unless the user chose a number."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    fair_share = max(1, cores // communicator.local_size)
    chosen = [os.environ[name] for name in THREAD_VARIABLES if name in os.environ]
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        if not chosen:
            threadpoolctl.threadpool_limits(limits=fair_share, user_api="blas")
        blas = [
            pool["num_threads"]
            for pool in threadpoolctl.threadpool_info()
            if pool["user_api"] == "blas"
        ]
        threads = max(blas, default=1)
    else:  # without threadpoolctl, OpenBLAS and MKL start one thread per core unless told
        threads = int(chosen[0]) if chosen and chosen[0].isdigit() else cores
    message = blas_thread_warning(communicator.local_size, threads, cores)
    if message and communicator.local_rank == 0:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
