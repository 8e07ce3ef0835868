"""How alike generated sections are to real ones: html-object statistics of real template pages vs a set.

    npm ci --prefix data_tools/likeness
    python -m data_tools.likeness [--generated PATH] [--synth N --seed S] [--out DIR]
"""
