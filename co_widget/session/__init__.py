"""The widget and what lives as long as it: the runner, the kernel-browser protocol, the
coalescer, commits, view actions, the kernel store, saving and transcripts.
"""
