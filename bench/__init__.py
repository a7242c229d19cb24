"""The benchmark: ``make bench`` (quick) or ``make bench-full``; see docs/PERFORMANCE.md."""
