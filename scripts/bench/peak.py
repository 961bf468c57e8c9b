"""Peak memory of a benchmark's child process, measured inside the child.

A child's ``ru_maxrss`` (``getrusage``, ``wait4``) does not do: Linux carries the parent's peak over
``exec``, so the child of a large benchmark harness reports at least the harness's size. ``VmHWM`` of the
child's own address space is its own peak. These snippets are prepended to ``python -c`` programs.
"""

from __future__ import annotations

#: Defines ``PEAK()``: the calling process's peak resident memory in MB.
PEAK_RSS = """
def PEAK():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
"""

#: ``hotline-verify`` with the arguments after the first; the first is the size above which bundles are
#: streamed. Its last line on standard error is ``{"exit", "seconds", "max_rss_mb", "children_max_rss_mb"}``;
#: the last is the largest ``ru_maxrss`` of its own children (``hotline-verify log``'s entries fetcher), an
#: upper bound of their peak for the reason above.
VERIFY_CHILD = (
    PEAK_RSS
    + """
import json, resource, sys, time
from verifier import bundle_file
from verifier.cli import main
bundle_file.IN_MEMORY_BYTES = int(sys.argv[1])
began = time.perf_counter()
code = main(sys.argv[2:])
seconds = time.perf_counter() - began
peaks = {"max_rss_mb": PEAK(), "children_max_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
print(json.dumps({"exit": code, "seconds": seconds, **peaks}), file=sys.stderr)
"""
)
