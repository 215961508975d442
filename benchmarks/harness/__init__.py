"""The machinery of the comparison, shared by every workload.

case.py      what a workload is (Case, Prepared) and helpers both frameworks use
suite.py     building contenders, interleaved timing, ratios and goals
timing.py    warm-up, calibration, interleaved rounds, statistics
memory.py    peak memory of one step (tracemalloc, torch.profiler, ...)
machine.py   machine info, thread counts, the measured GEMM peak
flops.py     FLOPs of GEMMs and convolutions, counted from shapes
report.py    the terminal table and the JSON file
"""
