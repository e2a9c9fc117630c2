"""Evidence of flagged listings: captures (capture), their files and manifests (files), verify and prune
(verify), RFC 3161 time-stamps (timestamps) and the annotated copy for legal (annotate).

May import crawl/ (a capture is a browser page), the store and the shared vocabulary; never run/ or above.
"""
