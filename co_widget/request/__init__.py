"""What a request says: parameters, model rules and the model list, prices, documents, images,
structured output, tool schemas, history checks.
"""
