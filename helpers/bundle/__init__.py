"""What builds and runs the bundle: the synthetic data, training, fetching Food-11, executing the
notebooks, and the benchmark."""
