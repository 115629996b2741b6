"""What builds and runs the bundle: training, fetching Food-11, executing the notebooks, the course site,
the wheel and the benchmark. The lessons never import from here; the embedded data they read is drawn by
:mod:`helpers.synthetic_food`."""
