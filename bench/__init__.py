"""The benchmark, outside core: `python -m bench` (bench.run), its page timings, throughput figures and report."""
