"""Annotation of real sections: render, pre-label, edit an outline, apply it as a validated example."""
