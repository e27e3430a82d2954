"""One reply: its parts, the engine that runs model and tool calls, the Reply handle, citations,
usage, logprobs, and the one input boundary.
"""
