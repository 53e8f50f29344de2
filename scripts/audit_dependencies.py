"""Known vulnerabilities in the pinned dependencies (requirements/constraints.txt), by
pip-audit against PyPI's vulnerability data. Fails on any vulnerability found. Where the
data cannot be reached (an air-gapped machine, a mirror without it), says so and passes:
the check is only as good as what it can see, and it tells you what it could not.

    .venv/bin/python scripts/audit_dependencies.py
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"


def main() -> int:
    command = [
        str(PIP_AUDIT),
        "--requirement",
        str(ROOT / "requirements" / "constraints.txt"),
        "--no-deps",  # every package is pinned there, dependencies included
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--timeout",
        "20",
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        report = json.loads(run.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        print(f"pip-audit skipped: it could not run or reach its data ({exc.__class__.__name__}).")
        return 0
    dependencies = report.get("dependencies", [])
    if not dependencies:
        print("pip-audit skipped: no answer from the vulnerability service.")
        print(run.stderr.strip()[-500:])
        return 0
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    skipped = len(dependencies) - len(audited)
    if not audited:
        print(
            f"pip-audit skipped: the vulnerability data knows none of the {skipped} pinned "
            "packages here (no access to PyPI's data from this machine)."
        )
        return 0
    print(
        f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} vulnerable"
        + (f", {skipped} not known to the vulnerability data" if skipped else "")
        + "."
    )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
