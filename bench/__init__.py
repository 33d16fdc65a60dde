"""The performance benchmark: `make bench` runs `bench.run` and writes docs/PERFORMANCE.md."""
