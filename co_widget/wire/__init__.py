"""Bytes in and out: the HTTP client, the live stream read, sockets a Stop can shut, the stream
parser and its typed events, errors, paced JSON calls.
"""
