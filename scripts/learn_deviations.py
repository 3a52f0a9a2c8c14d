"""Learn the deviations OpenAI's API makes from its own specs, from recorded real traffic, and
write them to ``conformance/suites/openai_deviations.json`` (keyed by spec title, version and
OpenAPI version; sorted, so the same traffic and code give the same file).

Usage: .venv/bin/python scripts/learn_deviations.py [--traffic DIR] [--out FILE] [SPEC ...]
(defaults: ../shared/real-traffic, the two OpenAI specs in ../shared/specs, the shipped file).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from conformance.spec import load_spec
from conformance.suites.deviations import DATA, FORMAT, VERSION, learn, spec_key

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SPECS = [SHARED / "specs" / "openai-2.3.0.yaml", SHARED / "specs" / "openai-2026-08.yaml"]
TRAFFIC = SHARED / "real-traffic"
OUT = ROOT / "conformance" / "suites" / DATA


def build(specs: list[Path], traffic: Path) -> dict[str, Any]:
    """The JSON document: the learned deviations of each spec under its key."""
    out: dict[str, Any] = {}
    for path in specs:
        started = time.perf_counter()
        spec = load_spec(path)
        learned = learn(spec, traffic)
        key = spec_key(spec)
        if key in out:
            raise SystemExit(f"{path}: two specs share the key {key!r}")
        out[key] = {"spec": path.name, "sha256": spec.sha256, **learned.to_dict()}
        took = time.perf_counter() - started
        print(f"{path.name}: {len(learned)} deviations in {took:.1f} s", file=sys.stderr)
    return {
        "format": FORMAT,
        "version": VERSION,
        "learned_from": "real api.openai.com traffic (../shared/real-traffic), fingerprints only",
        "specs": out,
    }


def dumps(document: dict[str, Any]) -> str:
    """The document as JSON with sorted keys, one deviation a line (diffs stay readable)."""
    lines = ["{"]
    head = {k: v for k, v in document.items() if k != "specs"}
    for name, value in sorted(head.items()):
        lines.append(f" {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append(' "specs": {')
    specs = sorted(document["specs"].items())
    for i, (key, entry) in enumerate(specs):
        lines.append(f"  {json.dumps(key)}: {{")
        for name, value in sorted(entry.items()):
            if name != "deviations":
                lines.append(f"   {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)},")
        rows = [json.dumps(d, sort_keys=True, ensure_ascii=False) for d in entry["deviations"]]
        lines.append('   "deviations": [')
        lines += [f"    {row}," for row in rows[:-1]] + [f"    {row}" for row in rows[-1:]]
        lines.append("   ]")
        lines.append("  }" + ("," if i < len(specs) - 1 else ""))
    lines += [" }", "}"]
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == document  # the same document, only laid out
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, default=SPECS)
    parser.add_argument("--traffic", type=Path, default=TRAFFIC)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.write_text(dumps(build(args.specs, args.traffic)), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
