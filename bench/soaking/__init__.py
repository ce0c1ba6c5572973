"""The parts of bench/soak.py, split by what they do."""
