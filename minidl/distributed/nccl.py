"""The ``nccl`` backend: one GPU per rank, collectives on device arrays through NCCL.

MPI still starts the ranks and carries the small things (the NCCL unique id, the
parameter check, checkpoints); the gradient and parameter buffers, which live on the
GPU, go through CuPy's NCCL communicator and never touch the host. Rank r uses GPU
number ``local_rank`` of its machine, so a machine with 4 GPUs takes 4 ranks.

Written against CuPy's documented API: ``cupy.cuda.nccl.get_unique_id()``,
``NcclCommunicator(ndev, commId, rank)``, its ``allReduce`` / ``bcast`` on device
pointers and a stream, and ``abort()``.
"""

from __future__ import annotations

from typing import Any

from minidl.distributed.communicator import Communicator
from minidl.errors import BackendUnavailableError


def require_nccl() -> tuple[Any, Any]:
    """(cupy, cupy.cuda.nccl), or BackendUnavailableError saying what is missing."""
    from minidl import backend

    try:
        backend.get("cupy")  # says whether CuPy is missing or no GPU is visible
        import cupy
        from cupy.cuda import nccl
    except (BackendUnavailableError, ImportError) as error:
        raise BackendUnavailableError(
            f"minidl.distributed.init(backend='nccl') needs CuPy with NCCL and a GPU per "
            f"rank: {error}. On CPUs use init(backend='mpi')"
        ) from error
    if not getattr(nccl, "available", True):
        raise BackendUnavailableError(
            "minidl.distributed.init(backend='nccl'): this CuPy has no NCCL library "
            "(cupy.cuda.nccl.available is False); install it, e.g. pip install "
            "nvidia-nccl-cu12, or use init(backend='mpi')"
        )
    return cupy, nccl


class NcclCommunicator(Communicator):
    """A Communicator whose collectives on CuPy arrays run on the GPUs through NCCL.

    Host (NumPy) buffers, such as an epoch's loss sum, still go over MPI.
    """

    backend = "nccl"

    def __init__(self, mpi: Any, timeout: float | None, cupy: Any, nccl: Any) -> None:
        super().__init__(mpi, timeout)
        self._cupy, self._nccl = cupy, nccl
        devices = cupy.cuda.runtime.getDeviceCount()
        problem = None
        if self.local_rank >= devices:
            problem = (
                f"rank {self.rank} is rank {self.local_rank} on its machine, which has only "
                f"{devices} GPU(s); start at most one rank per GPU"
            )
        problems = [p for p in self.allgather_object(problem, "GPU check") if p]
        if problems:  # raised on every rank, so none waits for the others
            raise BackendUnavailableError(f"minidl.distributed (nccl): {problems[0]}")
        cupy.cuda.Device(self.local_rank).use()
        unique_id = self.broadcast_object(
            nccl.get_unique_id() if self.is_main else None, purpose="NCCL unique id"
        )
        with self.watchdog.watch("the NCCL communicator's set-up (ncclCommInitRank)"):
            self.nccl_comm = nccl.NcclCommunicator(self.world_size, unique_id, self.rank)
        self._datatypes = {
            "float16": nccl.NCCL_FLOAT16,
            "float32": nccl.NCCL_FLOAT32,
            "float64": nccl.NCCL_FLOAT64,
            "int32": nccl.NCCL_INT32,
            "int64": nccl.NCCL_INT64,
        }

    def allreduce_sum_(self, buffer: Any, purpose: str = "allreduce") -> None:
        if not isinstance(buffer, self._cupy.ndarray):
            return super().allreduce_sum_(buffer, purpose)
        stream = self._cupy.cuda.get_current_stream()
        self.nccl_comm.allReduce(
            buffer.data.ptr, buffer.data.ptr, buffer.size, self._datatype(buffer),
            self._nccl.NCCL_SUM, stream.ptr,
        )  # fmt: skip
        with self.watchdog.watch(f"NCCL allReduce of {buffer.nbytes} bytes ({purpose})"):
            stream.synchronize()

    def broadcast_(self, buffer: Any, root: int = 0, purpose: str = "broadcast") -> None:
        if not isinstance(buffer, self._cupy.ndarray):
            return super().broadcast_(buffer, root, purpose)
        stream = self._cupy.cuda.get_current_stream()
        self.nccl_comm.bcast(buffer.data.ptr, buffer.size, self._datatype(buffer), root, stream.ptr)
        with self.watchdog.watch(f"NCCL bcast of {buffer.nbytes} bytes ({purpose})"):
            stream.synchronize()

    def abort(self, message: str) -> None:
        nccl_comm = getattr(self, "nccl_comm", None)
        if nccl_comm is not None:
            nccl_comm.abort()  # frees the GPU kernels that wait for a dead peer
        super().abort(message)

    def _datatype(self, buffer: Any) -> int:
        if not buffer.flags.c_contiguous:
            raise ValueError("minidl.distributed: collectives need a contiguous buffer")
        try:
            return self._datatypes[buffer.dtype.name]
        except KeyError:
            raise TypeError(
                f"minidl.distributed (nccl): cannot reduce {buffer.dtype} arrays; NCCL "
                f"takes {sorted(self._datatypes)}"
            ) from None
