#!/usr/bin/env bash
# The GPU run, prepared: everything a session with a lent NVIDIA GPU should run, in one go.
#
#   OUT=/some/dir bash benchmarks/gpu_check.sh          # on the GPU machine, from the repo root
#   MINIDL_GPU_CHECK_STANDIN=1 OUT=/tmp/gpucheck bash benchmarks/gpu_check.sh
#                                                       # rehearsal on a CPU: the strict stand-in
#                                                       # device of minidl.testing plays "cupy"
#
# It installs nothing (no network there): it runs with the packages the machine already has
# and this checkout on PYTHONPATH. Everything it writes goes under $OUT:
#   gpu.txt          nvidia-smi -L (or why there is none)
#   info.txt         minidl info
#   pytest.xml/.txt  the whole test suite with MINIDL_BACKEND=cupy (JUnit XML + summary)
#   notebook06.txt   examples/06_backends.py run as a script
#   bench/           minidl bench and benchmarks/run.py, NumPy vs CuPy (JSON)
#   amp.txt          float16 autocast: tests/test_amp.py (X4 trained under autocast)
#   summary.txt      one line per step: its exit code and seconds
# Each step has its own time limit so that the whole stays under 8 minutes on one GPU;
# a failing step is recorded and the next one runs.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the folder for the results}
mkdir -p "$OUT/bench"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg HYPOTHESIS_PROFILE=ci
# The suite on the device alone: CI runs every backend-parametrised test on NumPy (and on
# the strict stand-in) already, and the GPU's 15 minutes are for what only it can show.
export MINIDL_BACKEND=cupy MINIDL_TEST_BACKENDS=cupy
slower=1  # step time limits are for the GPU machine (16 cores)

if [ "${MINIDL_GPU_CHECK_STANDIN:-0}" = 1 ]; then
  # A rehearsal without a GPU: every Python process (the tests' subprocesses too) registers
  # the strict stand-in device under the name "cupy" when it starts.
  standin="$OUT/standin"
  mkdir -p "$standin"
  cat > "$standin/sitecustomize.py" <<'PY'
import minidl.backend
from minidl.testing import StrictDeviceBackend


class StandInCupy(StrictDeviceBackend):
    name = "cupy"


minidl.backend.register("cupy", StandInCupy)
PY
  export PYTHONPATH="$standin:$PYTHONPATH"
  slower=3  # a CPU rehearsal (the stand-in is slower than NumPy, on a small VM) may take longer
fi

: > "$OUT/summary.txt"
step() {  # step NAME LIMIT_SECONDS OUTFILE COMMAND...
  local name=$1 limit=$2 outfile=$3 start rc
  shift 3
  start=$(date +%s)
  timeout $(( limit * slower )) "$@" > "$OUT/$outfile" 2>&1
  rc=$?
  echo "$name rc=$rc seconds=$(( $(date +%s) - start ))" | tee -a "$OUT/summary.txt"
}

step gpu 20 gpu.txt bash -c 'nvidia-smi -L || echo "no nvidia-smi on this machine"'
step info 60 info.txt python -m minidl.cli info
step tests 300 pytest.txt python -m pytest -q -p no:cacheprovider --durations=25 \
  --junitxml="$OUT/pytest.xml"
step notebook06 60 notebook06.txt python examples/06_backends.py
step minidl-bench 60 bench/minidl-bench.txt python -m minidl.cli bench --backends numpy,cupy
torch_flag=--no-torch
python -c "import torch" 2>/dev/null && torch_flag=""
step bench 180 bench/run.txt python benchmarks/run.py --workloads a,b,c \
  --backends numpy,cupy --rounds 5 --no-memory --out "$OUT/bench" $torch_flag
# float16 autocast on the GPU: the T7 tests, whose X4 run trains on the current backend.
step amp 120 amp.txt python -m pytest -q -p no:cacheprovider tests/test_amp.py
echo "done: $(grep -c 'rc=0' "$OUT/summary.txt") steps passed; see $OUT/summary.txt"
