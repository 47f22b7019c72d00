"""`homeport port`: rewrite CUDA-bound code into portable PyTorch (libcst codemods driven by the assess
rules), log every call site, and write the result as a diff, a copy, or in place with a revert patch.

Library entry point: `homeport.port.engine.port(path, target=..., min_torch=..., unsafe=...)`.
"""
