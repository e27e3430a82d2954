"""chat.map: the coordinating thread, rows, the picklable row task, the results file, progress,
the dry run and the adaptive rate limiter.
"""
