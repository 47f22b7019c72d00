"""TensorFlow and JAX device selection (research/portability.md section 2, the last two rows)."""

from __future__ import annotations

import libcst as cst

from homeport.port.changes import Kind
from homeport.port.fixers.base import CALL, FixContext, Unfixable, code, fixer

# The device types TensorFlow gives accelerators: CUDA and ROCm GPUs, Intel (ITEX) XPU, Gaudi HPU.
_ACCELERATOR_TYPES = '("GPU", "XPU", "HPU")'


def _without(call: cst.Call, drop: cst.Arg) -> cst.Call:
    args = [a for a in call.args if a is not drop]
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=args)


# -- JAX --------------------------------------------------------------------------------------------
@fixer("ACC302", CALL)
def jax_backend(call: cst.Call, fix: FixContext):
    """jax.devices("gpu") -> jax.devices(): the default backend, which is the GPU on a GPU host and the
    accelerator's PJRT plugin elsewhere. The argument is found by its place, not its text."""
    keyword = next((a for a in call.args if a.keyword is not None and a.keyword.value == "backend"), None)
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        raise Unfixable("`*args`/`**kwargs`: the backend argument cannot be found")
    if keyword is not None:
        return _without(call, keyword)
    place = 1 if fix.qualname.endswith(".local_devices") else 0  # local_devices(process_index, backend)
    if len(positional) <= place:
        raise Unfixable("the platform name is not the backend argument")
    return _without(call, positional[place])


# -- TensorFlow -------------------------------------------------------------------------------------
_LISTINGS = tuple(f"tensorflow.config{sub}.list_{kind}_devices" for sub in ("", ".experimental")
                  for kind in ("physical", "logical"))


@fixer("ACC301", CALL, names=_LISTINGS, kind=Kind.SEMANTIC, unsafe=True)
def device_listing(call: cst.Call, fix: FixContext):
    """tf.config.list_physical_devices("GPU") -> every device whose type is GPU, XPU or HPU. Code that
    follows (memory growth, visibility) then sees Intel and Gaudi devices too."""
    arg = call.args[0] if len(call.args) == 1 else None
    if arg is None or arg.star or (arg.keyword is not None and arg.keyword.value != "device_type"):
        raise Unfixable("an unusual argument list; filter tf.config.list_physical_devices() by device_type")
    everything = call.with_changes(args=[])
    return cst.parse_expression(f"[d for d in {code(everything)} if d.device_type in {_ACCELERATOR_TYPES}]")


_TF_ROUTES = {
    "tensorflow.test.is_gpu_available": "deprecated and CUDA-only; use `bool([d for d in tf.config."
                                        "list_physical_devices() if d.device_type in "
                                        f"{_ACCELERATOR_TYPES}])`",
    "tensorflow.test.is_built_with_cuda": "tells how TensorFlow was built, not what the machine has; test for "
                                          "devices with tf.config.list_physical_devices() instead",
    "tensorflow.test.gpu_device_name": "answers '' without a GPU-type device; take the first logical device whose "
                                       f"device_type is in {_ACCELERATOR_TYPES}",
}


@fixer("ACC301", CALL, kind=Kind.SEMANTIC, unsafe=True)
def tensorflow_other(call: cst.Call, fix: FixContext):
    """tf.test checks and the `tf.config` setters given "GPU": a route only."""
    name = fix.qualname or "tensorflow"
    if name in _TF_ROUTES:
        raise Unfixable(f"`{name}` is {_TF_ROUTES[name]}")
    raise Unfixable(f"`{name}` with device type 'GPU' configures CUDA/ROCm GPUs only; pass the type of the devices "
                    f"found by listing them (one of {_ACCELERATOR_TYPES})")
