"""corpus=: chunks, embeddings (cached), cosine top-k, rerank, the retrieval step of a turn."""
