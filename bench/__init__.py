"""The benchmark suite (`make bench`, `make bench-peer`): see README.md, "Performance"."""
