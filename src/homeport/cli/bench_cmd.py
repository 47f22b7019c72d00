"""`homeport bench`: probes and the reference workload on this machine's accelerator, the user's own
script, and `compare` / `parity` between two result files."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from homeport.core.errors import UsageError

EPILOG = """examples:
  homeport bench --size tiny --steps 20                     reference workload, quick
  homeport bench --size 1.3b --seq-len 2048 --batch 8 --compile blocks --out h100.json
  homeport bench --seeds 3 --out source.json                the run-to-run band parity needs
  homeport bench --steps 30 --script train.py -- --config c.yaml   your own training, timed at optimizer.step()
  homeport bench compare source.json target.json            ratios target/source
  homeport bench parity source.json target.json --chart parity.svg
  torchrun --nproc-per-node 8 -m homeport bench --probes allreduce --no-workload
"""


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="measure this machine's accelerator: probes, a reference GPT, your script",
                       description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    w = p.add_argument_group("reference workload (a GPT on synthetic tokens)")
    w.add_argument("--size", default="tiny", help="tiny, 124m, 350m, 760m or 1.3b (default tiny)")
    w.add_argument("--seq-len", type=int, default=256)
    w.add_argument("--batch", type=int, default=8, help="micro-batch per device (default 8)")
    w.add_argument("--steps", type=int, default=20)
    w.add_argument("--warmup", type=int, default=5, help="steps run but not measured (default 5)")
    w.add_argument("--precision", default="bf16", help="bf16, fp16, fp32 or fp8 (fp8 needs torchao; no MFU)")
    w.add_argument("--compile", default="none", help="none, blocks (each block, torchtitan's way) or model")
    w.add_argument("--seeds", type=int, default=1, help="runs with seeds seed..seed+N-1: parity's band (default 1)")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--lr", type=float, default=3e-4)
    w.add_argument("--no-workload", action="store_true", help="probes only")
    pr = p.add_argument_group("probes")
    pr.add_argument("--probes", default="matmul,memory,host,allreduce",
                    help="comma-separated: matmul, memory, host, allreduce; `none` for none")
    pr.add_argument("--storage", metavar="LOCATION", help="also probe a store from here (as `homeport data probe`)")
    pr.add_argument("--probe-seconds", type=float, default=0.5, help="time per probe repeat (default 0.5)")
    s = p.add_argument_group("your own script: --script train.py -- ITS ARGUMENTS")
    s.add_argument("--tokens-per-step", type=int, help="tokens one optimizer step trains on, for tokens/s")
    s.add_argument("--samples-per-step", type=int, help="samples one optimizer step trains on, for samples/s")
    s.add_argument("--timeout", type=float, help="seconds before the script is stopped")
    s.add_argument("--script", metavar="SCRIPT", help="time SCRIPT's optimizer steps (--steps of them, --warmup "
                   "not counted); what follows `--` is passed to it")
    p.add_argument("--out", metavar="FILE", help="write the result JSON here")
    p.add_argument("-f", "--format", choices=["text", "json"], default="text")
    p.set_defaults(run=run_bench, passthrough_ok=True)

    cmds = p.add_subparsers(dest="bench_command", metavar="{compare,parity}")
    c = cmds.add_parser("compare", help="ratios B/A of every figure two results share")
    c.add_argument("a", metavar="A.json")
    c.add_argument("b", metavar="B.json")
    c.add_argument("-f", "--format", choices=["text", "json"], default="text")
    c.set_defaults(run=run_compare)
    q = cmds.add_parser("parity", help="does B's loss curve stay inside A's run-to-run band?")
    q.add_argument("a", metavar="SOURCE.json", help="run with --seeds 2 or more")
    q.add_argument("b", metavar="TARGET.json")
    q.add_argument("--k", type=float, default=3.0, help="band half-width in standard deviations (default 3)")
    q.add_argument("--floor", type=float, default=0.002, help="narrowest band, relative to the loss (default 0.002)")
    q.add_argument("--chart", metavar="FILE.svg", help="draw the band and both curves")
    q.add_argument("-f", "--format", choices=["text", "json"], default="text")
    q.set_defaults(run=run_parity)


def run_bench(args) -> int:
    from homeport.bench import runner
    from homeport.bench.probes import PROBES
    from homeport.bench.workload import WorkloadConfig

    names = tuple(n.strip() for n in args.probes.split(",") if n.strip() and n.strip() != "none")
    unknown = [n for n in names if n not in PROBES]
    if unknown:
        raise UsageError(f"unknown probe {', '.join(unknown)}", expected=", ".join(PROBES) + " or none")
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1", got=str(args.seeds))
    if args.script is not None:
        return _run_script(args)
    if args.passthrough:
        raise UsageError("arguments after `--` go to a script", got=" ".join(args.passthrough),
                         hint="add --script train.py before the `--`")
    config = None if args.no_workload else WorkloadConfig(
        size=args.size, seq_len=args.seq_len, batch_size=args.batch, steps=args.steps, warmup=args.warmup,
        precision=args.precision, compile=args.compile, seed=args.seed, lr=args.lr)
    if config:
        config.check()
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=args.format == "json" or not runner.is_main_process()) as bar:
        task = bar.add_task("starting", total=(config.steps * args.seeds) if config else None)
        doc = runner.bench(config, seeds=args.seeds, probe_names=names, storage=args.storage,
                           probe_seconds=args.probe_seconds,
                           on_stage=lambda name: bar.update(task, description=name),
                           on_step=lambda _step, _loss: bar.advance(task))
    if not runner.is_main_process():
        return 0
    return _finish(doc, args)


def _run_script(args) -> int:
    from homeport.bench import results, script
    from homeport.bench.device import detect

    figures = script.measure(args.script, args.passthrough, steps=args.steps, warmup=args.warmup, tokens_per_step=args.tokens_per_step,
                             samples_per_step=args.samples_per_step, timeout_s=args.timeout)
    return _finish(results.new(detect().to_dict(), {}, [], script=figures), args)


def _finish(doc: dict, args) -> int:
    from homeport.bench import results

    if args.out:
        results.save(doc, args.out)
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
    else:
        render(doc, Console())
        if args.out:
            Console(stderr=True).print(f"wrote {args.out}", highlight=False)
    return 0


def render(doc: dict, console: Console) -> None:
    d = doc["device"]
    peak = f", dense BF16 peak {d['peak_bf16_tflops']:g} TFLOP/s" if d["peak_bf16_tflops"] else ""
    console.print(f"[bold]{d['name']}[/] ({d['type']}, {d['accelerator'] or 'not in the catalog'}{peak}) x{d['count']}, "
                  f"torch {doc['torch']}, {d['runtime']}" + (f", driver {d['driver']}" if d["driver"] else ""),
                  highlight=False)
    table = Table("probe", "figure", "note", title="probes", title_justify="left")
    for name, value in doc["probes"].items():
        for row in _probe_rows(name, value):
            table.add_row(*row)
    if table.rows:
        console.print(table)
    for w in doc["workloads"]:
        c = w["config"]
        t = Table("figure", "value", title=f"gpt {c['size']} ({c['params'] / 1e6:,.1f}M parameters), seq {c['seq_len']}, "
                  f"batch {c['batch_size']} x {c['world_size']} device(s), {c['precision']}, compile {c['compile']}",
                  title_justify="left")
        st = w["step_time_s"]
        t.add_row("tokens/s", f"{w['tokens_per_s']:,.0f}" + (f" ({w['tokens_per_s_per_device']:,.0f} per device)"
                                                             if c["world_size"] > 1 else ""))
        t.add_row("achieved TFLOP/s per device", _num(w["tflops"]))
        t.add_row("MFU", f"{w['mfu']:.1%}" if w["mfu"] is not None else "-")
        t.add_row("", w["mfu_note"])
        t.add_row("step time", f"median {st['median'] * 1e3:,.1f} ms, p10-p90 {st['p10'] * 1e3:,.1f}-"
                  f"{st['p90'] * 1e3:,.1f} ms, cv {st['cv']:.1%} over {st['samples']} steps")
        if w["peak_memory_bytes"] is not None:
            t.add_row("peak memory", f"{w['peak_memory_bytes'] / 2**30:,.2f} GiB")
        curves = w.get("loss_curves") or [w["losses"]]
        t.add_row("loss", f"{w['losses'][0]:.4f} -> {w['losses'][-1]:.4f}" + (f" ({len(curves)} seeds)"
                                                                             if len(curves) > 1 else ""))
        console.print(t)
    if doc["script"]:
        s = doc["script"]
        st = s["step_time_s"]
        t = Table("figure", "value", title=f"{s['script']} {' '.join(s['args'])}", title_justify="left")
        t.add_row("steps timed", f"{s['steps_timed']} after {s['warmup']} warm-up (stopped by {s['stopped_by']})")
        t.add_row("step time", f"median {st['median'] * 1e3:,.1f} ms, p10-p90 {st['p10'] * 1e3:,.1f}-"
                  f"{st['p90'] * 1e3:,.1f} ms, cv {st['cv']:.1%}")
        t.add_row("steps/s", f"{s['steps_per_s']:,.3f}")
        for key, label in (("tokens_per_s", "tokens/s"), ("samples_per_s", "samples/s")):
            if s[key] is not None:
                t.add_row(label, f"{s[key]:,.1f}")
        if s["peak_memory_bytes"] is not None:
            t.add_row("peak memory", f"{s['peak_memory_bytes'] / 2**30:,.2f} GiB")
        console.print(t)


def _probe_rows(name: str, value) -> list[tuple[str, str, str]]:
    if name == "matmul":
        return [(f"matmul {m['precision']}", f"{_num(m['tflops'])} TFLOP/s",
                 f"n={m['n']}" + (f", {m['fraction_of_peak']:.0%} of dense peak" if m["fraction_of_peak"] else ""))
                for m in value]
    if "skipped" in value:
        return [(name, "-", value["skipped"])]
    gb = 1e9
    if name == "memory":
        return [("device memory", f"{value['bytes_per_s'] / gb:,.1f} GB/s", value["counts"])]
    if name == "host":
        return [("host to device", f"{value['host_to_device_bytes_per_s'] / gb:,.1f} GB/s", f"pinned: {value['pinned']}"),
                ("device to host", f"{value['device_to_host_bytes_per_s'] / gb:,.1f} GB/s", "")]
    if name == "allreduce":
        return [("all-reduce bus bandwidth", f"{value['busbw_bytes_per_s'] / gb:,.1f} GB/s",
                 f"{value['world_size']} ranks, {value['backend']}")]
    if name == "storage":
        return [("storage read", f"{value['peak_bytes_per_s'] / gb:,.3f} GB/s",
                 f"round trip {value['rtt_s']['median'] * 1e3:,.1f} ms, {value['location']}")]
    return [(name, json.dumps(value)[:60], "")]


def run_compare(args) -> int:
    from homeport.bench import compare, results

    a, b = results.load(args.a), results.load(args.b)
    rows = compare.compare(a, b)
    if args.format == "json":
        sys.stdout.write(json.dumps({"schema_version": 1, "kind": "homeport-bench-compare", "a": args.a, "b": args.b,
                                     "rows": [{"metric": r.metric, "a": r.a, "b": r.b, "unit": r.unit,
                                               "ratio": r.ratio} for r in rows]}, indent=1) + "\n")
        return 0
    console = Console()
    console.print(f"A: {a['device']['name']} (torch {a['torch']})   B: {b['device']['name']} (torch {b['torch']})",
                  highlight=False)
    table = Table("metric", "A", "B", "B/A")
    for r in rows:
        table.add_row(f"{r.metric}" + (f" ({r.unit})" if r.unit else ""), _num(r.a), _num(r.b),
                      f"{r.ratio:.3f}" if r.ratio is not None else "-")
    console.print(table)
    return 0


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.4g}"


def run_parity(args) -> int:
    from homeport.bench import compare, results
    from homeport.bench.chart import line_chart

    a, b = results.load(args.a), results.load(args.b)
    verdict = compare.parity(a, b, k=args.k, floor=args.floor)
    if args.chart:
        from homeport.cli.main import write_output

        write_output(line_chart(f"loss parity: {verdict.workload} ({verdict.verdict})",
                                {f"source mean ({a['device']['name']})": verdict.mean_a,
                                 f"target mean ({b['device']['name']})": verdict.mean_b},
                                band=(verdict.lower, verdict.upper), band_label=f"source +- {args.k:g} sd"),
                     args.chart)
    if args.format == "json":
        sys.stdout.write(json.dumps(verdict.to_dict(), indent=1) + "\n")
    else:
        console = Console()
        color = "green" if verdict.verdict == "pass" else "red"
        console.print(f"[bold {color}]parity {verdict.verdict}[/]: {verdict.workload}, {verdict.steps} steps, "
                      f"source {verdict.seeds_a} seeds, target {verdict.seeds_b}", highlight=False)
        console.print(f"  {verdict.inside_fraction:.0%} of steps inside source mean +- {verdict.k:g} sd "
                      f"(floor {verdict.floor:g} of the loss); worst step {verdict.worst_step} at "
                      f"{verdict.worst_z:.2f} band widths; last-quarter mean difference "
                      f"{verdict.tail_mean_difference:+.4g} (band {verdict.tail_band:.4g})", highlight=False)
        for reason in verdict.reasons:
            console.print(f"  - {reason}", highlight=False)
    return 0 if verdict.verdict == "pass" else 1
