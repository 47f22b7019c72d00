"""Phase 1, catalog (`homeport assess`): the findings, the accelerator libraries with their support per
target, and the inventory as a picture."""

from __future__ import annotations

from collections import Counter

from homeport.catalog.libraries import TARGET_COLUMNS
from homeport.report.inventory_svg import TITLES, link_rows, render_svg, tied_components
from homeport.report.page.context import Context
from homeport.report.page.document import Bullets, Cell, Figure, Heading, Para, Section, Table
from homeport.report.page.words import SUPPORT, plural

CATEGORIES = ("accelerator", "dependency", "cloud", "residency")
SEVERITIES = ("blocker", "warning", "info")
PLACES = 4  # places named per library; the rest are counted
LINK_ROWS = 12


def section(ctx: Context) -> Section:
    a = ctx.assessment
    s = a["summary"]
    lead = (f"{plural(s['files'], 'file')} and {s['lines']:,} lines assessed ({ctx.assessment_basis}): "
            f"{plural(s['findings'], 'finding')} against the target `{a['target']}`, "
            f"{plural(len(ctx.libraries), 'accelerator library', 'accelerator libraries')} of the support matrix, "
            f"{plural(len(a['inventory'].get('components', [])), 'component')} in the inventory.")
    blocks = [_findings_table(a), Heading("Accelerator libraries"), *_libraries(ctx),
              Heading("Inventory"), *_inventory(ctx)]
    if a.get("skipped"):
        blocks.append(Bullets([f"`{x['path']}`: {x['reason']}" for x in a["skipped"]],
                              "Inputs the assessment did not analyze"))
    return Section("catalog", "Catalog", "catalog", "evidence", lead, blocks, command="homeport assess PATH")


def _findings_table(a: dict) -> Table:
    counts = Counter((f["category"], f["severity"]) for f in a["findings"])
    categories = [c for c in CATEGORIES if any(counts[(c, s)] for s in SEVERITIES)] or list(CATEGORIES[:3])
    rows = [[c, *(Cell(str(counts[(c, s)]), "bad" if s == "blocker" and counts[(c, s)] else "")
                  for s in SEVERITIES), sum(counts[(c, s)] for s in SEVERITIES)] for c in categories]
    rows.append([Cell("all", ""), *(sum(counts[(c, s)] for c in categories) for s in SEVERITIES), len(a["findings"])])
    return Table(f"Findings by category and severity (target `{a['target']}`)", ["category", *SEVERITIES, "total"],
                 rows, numeric=(1, 2, 3, 4),
                 note=f"{a['summary'].get('suppressed', 0)} suppressed in the code with a comment; the readiness "
                      "section weighs the same findings per target.")


def _libraries(ctx: Context) -> list:
    if not ctx.libraries:
        return [Para("No library of the support matrix is imported or declared: nothing to replace.", "ok")]
    rows = []
    for use in ctx.libraries:
        lib = use.library
        more = len(use.places) - PLACES
        places = ", ".join(use.places[:PLACES]) + (f" and {more} more" if more > 0 else "")
        rows.append([lib.library, places, *(SUPPORT[lib.support[t]] for t in TARGET_COLUMNS), lib.alternative])
        ctx.cite("library_support.csv", lib.library, "libraries", lib.source, lib.as_of)
    return [Table("Accelerator libraries in this tree, their support per target and the portable alternative",
                  ["library", "where", *TARGET_COLUMNS, "portable alternative"], rows,
                  note="yes: supported; partial: a fork, a subset of features or a shim; no: not available. "
                       "The source of each row is in the sources table.")]


def _inventory(ctx: Context) -> list:
    inv, findings = ctx.assessment["inventory"], ctx.findings
    comps = inv.get("components", [])
    if not comps:
        return [Para("The inventory is empty: no component was recognised.", "muted")]
    tied = tied_components(inv, findings)
    svg = render_svg(inv, findings, ident="inventory")
    kinds = Counter(c["kind"] for c in comps)
    alt = (f"{len(comps)} components of {len(kinds)} kinds and {len(inv.get('links', []))} links; {len(tied)} "
           "components are tied to a vendor. " + "; ".join(f"{TITLES.get(k, k)}: {n}" for k, n in kinds.most_common()))
    tied_kinds = Counter(c["kind"] for c in comps if c["id"] in tied)
    table = Table("Components per kind", ["kind", "components", "tied to a vendor", "named in the picture"],
                  [[TITLES.get(k, k), n, Cell(str(tied_kinds[k]), "bad" if tied_kinds[k] else "ok"),
                    ", ".join(sorted(c["name"] for c in comps if c["kind"] == k)[:6]) + (" …" if n > 6 else "")]
                   for k, n in kinds.most_common()], numeric=(1, 2))
    every = link_rows(inv)
    more = len(every) - LINK_ROWS
    links = Table("Links between kinds (the arrows), most first", ["from", "relation", "to", "links"],
                  [list(r) for r in every[:LINK_ROWS]], numeric=(3,),
                  note=f"{more} more kinds of link in the JSON assessment." if more > 0 else "")
    return [Figure(svg, "The pipeline's components grouped by kind, from how it is deployed (left) to what it runs "
                        "on and talks to (right); red marks a part tied to a vendor.", alt), table, links]
