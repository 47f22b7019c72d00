"""TensorFlow and JAX device selection."""

import ast

from homeport.core.model import Applicability, Category, Target
from homeport.core.rule import Example, Rule
from homeport.rules.acc._common import INFO, WARNING


def _string_args(call: ast.Call) -> set[str]:
    values = [*call.args, *(kw.value for kw in call.keywords)]
    return {v.value.upper() for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}


def _first_string_arg(call: ast.Call | None, keyword: str) -> str | None:
    if call is None:
        return None
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for kw in call.keywords:
        if kw.arg == keyword and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    return None


class TensorflowGpuDevice(Rule):
    """
    ## What it does
    Finds TensorFlow code that looks only for `GPU` devices: `tf.config` calls given the `"GPU"` type
    (`list_physical_devices("GPU")`, `set_visible_devices(gpus, "GPU")`), `tf.test.is_gpu_available()`,
    `tf.test.is_built_with_cuda()`, and `"/GPU:0"` device names.

    ## Why it blocks a migration
    TensorFlow exposes Intel GPUs as `XPU` and Gaudi as `HPU`; code that asks for `GPU` finds none and
    trains on the CPU. tensorflow-rocm keeps `GPU`.

    ## Example
    ```python
    gpus = tf.config.list_physical_devices("GPU")
    ```
    Use instead:
    ```python
    devices = [d for d in tf.config.list_physical_devices() if d.device_type in ("GPU", "XPU", "HPU")]
    ```

    ## Fix safety
    Unsafe: memory-growth and placement code that follows usually needs review. `homeport port
    --unsafe-fixes` rewrites `tf.config.list_physical_devices("GPU")` (and `list_logical_devices`, also
    under `experimental`) to the comprehension above. `tf.test.is_gpu_available()`,
    `is_built_with_cuda()`, `gpu_device_name()`, the `tf.config` setters given `"GPU"` and `"/GPU:0"`
    names are left, with the route in the change log.
    """

    code, name = "ACC301", "tensorflow-gpu-device"
    category = Category.ACCELERATOR
    severity, on = WARNING, {Target.ROCM: INFO, Target.CUDA: INFO}
    message = "`{name}` looks only for GPU devices; enumerate every accelerator type (GPU, XPU, HPU)"
    fix_title = "Enumerate GPU, XPU and HPU devices"
    fix_applicability = Applicability.UNSAFE
    names = ("tensorflow.config", "tensorflow.test.is_gpu_available",
             "tensorflow.test.is_built_with_cuda", "tensorflow.test.gpu_device_name")
    strings = r"^/(?:device:)?GPU:\d+$"

    @classmethod
    def refine_call(cls, qualname, call):
        """`tf.config.*(..., "GPU")`: device listing, visibility, memory growth for the GPU type."""
        if qualname.startswith("tensorflow.test."):
            return cls.message
        return cls.message if call is not None and "GPU" in _string_args(call) else None

    VALID = [Example("import tensorflow as tf\ndevs = tf.config.list_physical_devices()")]
    INVALID = [Example("import tensorflow as tf\ngpus = tf.config.list_physical_devices('GPU')"),
               Example("import tensorflow as tf\ntf.config.experimental.set_visible_devices(gpus[0], 'GPU')"),
               Example("import tensorflow as tf\nwith tf.device('/GPU:0'):\n    pass"),
               Example("import tensorflow as tf\ngpus = tf.config.list_physical_devices('GPU')\n",
                       fixed='import tensorflow as tf\ngpus = [d for d in tf.config.list_physical_devices() '
                             'if d.device_type in ("GPU", "XPU", "HPU")]\n')]


class JaxGpuDevice(Rule):
    """
    ## What it does
    Finds JAX code that asks for the `gpu`/`cuda` platform: `jax.devices("gpu")`,
    `jax.local_devices(backend="cuda")`.

    ## Why it blocks a migration
    Other accelerators register their own platform names through PJRT plugins; asking for `gpu`
    raises there. JAX's `gpu` covers the ROCm plugin.

    ## Example
    ```python
    devices = jax.devices("gpu")
    ```
    Use instead:
    ```python
    devices = jax.devices()  # the default backend's devices
    ```

    ## Fix safety
    Safe: with no argument JAX returns the default backend's devices, which is the GPU on a GPU host.
    `homeport port` drops the `"gpu"`/`"cuda"` backend argument of `jax.devices`, `jax.local_devices`,
    `jax.device_count` and `jax.local_device_count`.
    """

    code, name = "ACC302", "jax-gpu-device"
    category = Category.ACCELERATOR
    severity, on = WARNING, {Target.ROCM: INFO, Target.CUDA: INFO}
    message = "`{name}` asks JAX for the GPU platform; use `jax.devices()` / `jax.default_backend()`"
    fix_title = "Use the default backend's devices"
    names = ("jax.devices", "jax.local_devices", "jax.device_count", "jax.local_device_count")

    @classmethod
    def refine_call(cls, qualname, call):
        backend = _first_string_arg(call, "backend")
        return cls.message if backend and backend.lower() in ("gpu", "cuda") else None

    VALID = [Example("import jax\ndevs = jax.devices()")]
    INVALID = [Example("import jax\ndevs = jax.devices('gpu')", fixed="import jax\ndevs = jax.devices()"),
               Example("import jax\nn = jax.local_device_count(backend='gpu')\n",
                       fixed="import jax\nn = jax.local_device_count()\n")]
