"""Command-line tools around the data: validate, and later synth, render, build, stats."""
