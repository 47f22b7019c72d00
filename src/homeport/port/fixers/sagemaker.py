"""SageMaker's container layout in code: `/opt/ml/...` paths (rules/cld/aws.py, CLD006).

A path that SageMaker also publishes as an environment variable becomes a read of that variable with a
relative directory as the fallback: on SageMaker the variable holds the same path, so the job behaves
as before; anywhere else the launcher sets the variable (or the relative directory is used). The
variables are those of SageMaker's training toolkit (aws/sagemaker-training-toolkit
ENVIRONMENT_VARIABLES.md) and the developer guide's storage table (model-train-storage.md).
"""

from __future__ import annotations

import re

import libcst as cst

from homeport.port.changes import Kind
from homeport.port.fixers.base import STRING, FixContext, Unfixable, fixer

# /opt/ml/<part> -> (variable, relative fallback); <channel> stands for an input channel's name.
_PUBLISHED = {
    "model": ("SM_MODEL_DIR", "model"),
    "output/data": ("SM_OUTPUT_DATA_DIR", "output/data"),
    "output": ("SM_OUTPUT_DIR", "output"),
    "input/data/<channel>": ("SM_CHANNEL_<CHANNEL>", "data/<channel>"),
}
_PATH = re.compile(r"/opt/ml/(?P<part>model|output/data|output|input/data/(?P<channel>[A-Za-z0-9_]+))(?P<rest>/.*)?")
# The parts SageMaker does not publish as a variable (or not under a name Python can spell), and what to do.
_ROUTES = {
    "checkpoints": "SageMaker syncs /opt/ml/checkpoints with checkpoint_s3_uri and publishes no variable for it: "
                   "take the checkpoint directory from the job's settings and sync it to the target's object storage",
    "code": "the source directory: find files relative to the script (os.path.dirname(__file__))",
    "input/config": "the job's configuration files (hyperparameters.json, inputdataconfig.json) exist only on "
                    "SageMaker: pass the settings as arguments",
    "input/data": "the channel's variable is SM_CHANNEL_<NAME> only for names of letters, digits and _: read the "
                  "directory from the job's settings",
}


@fixer("CLD006", STRING, kind=Kind.SEMANTIC, unsafe=True)
def container_path(node, fix: FixContext):
    """"/opt/ml/model/x.pt" -> os.path.join(os.environ.get("SM_MODEL_DIR", "model"), "x.pt")."""
    if not isinstance(node, cst.SimpleString) or not isinstance(node.evaluated_value, str):
        raise Unfixable("the path is built at run time (an f-string or bytes); read the directory from the "
                        "environment (SM_MODEL_DIR, SM_OUTPUT_DATA_DIR, SM_CHANNEL_<NAME>) with a fallback")
    value = node.evaluated_value
    found = _PATH.fullmatch(value)
    if found is None:
        rest = value[len("/opt/ml/"):] if value.startswith("/opt/ml/") else None
        for part, route in _ROUTES.items():
            if rest is not None and (rest == part or rest.startswith(part + "/")):
                raise Unfixable(f"`{value}`: {route}")
        raise Unfixable(f"`{value}` is not a path SageMaker publishes as a variable (model, output, output/data, "
                        "input/data/<channel>); take the directory from the job's settings")
    channel = found["channel"]
    key = "input/data/<channel>" if channel else found["part"]
    var, fallback = _PUBLISHED[key]
    if channel:  # the toolkit names the variable after the channel in upper case
        var, fallback = var.replace("<CHANNEL>", channel.upper()), fallback.replace("<channel>", channel)
    quote = node.quote
    directory = cst.Call(fix.ref("os.environ.get"),
                         args=[cst.Arg(cst.SimpleString(f"{quote}{var}{quote}")),
                               cst.Arg(cst.SimpleString(f"{quote}{fallback}{quote}"))])
    rest = found["rest"]
    if rest is None:
        return directory
    if any(ch in rest for ch in (quote[0], "\\", "\n")):
        raise Unfixable(f"`{value}`: the file name needs escaping; join it to {var}'s directory by hand")
    # "/opt/ml/model/" keeps its trailing separator: os.path.join(d, "") ends in one
    return cst.Call(fix.ref("os.path.join"),
                    args=[cst.Arg(directory), cst.Arg(cst.SimpleString(f"{quote}{rest[1:]}{quote}"))])
