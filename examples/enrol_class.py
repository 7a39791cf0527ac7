#!/usr/bin/env python3
"""Enrol a class from a CSV file through tempcreds-broker's admin API.

    TEMPCREDS_BROKER_TOKEN=tcb_… examples/enrol_class.py http://broker:8080 learners.csv [--dry-run]

The file has the columns name,roles,not_before,not_after (its header first; roles separated
by ';'; times RFC 3339 or a date, where not_after includes that whole UTC day — the same file
`tempcreds-broker user import` takes). Each row creates its learner or replaces an existing
learner's grants. Prints name,status,token,error as CSV: the token of each created learner is
shown here once, so hand it over (or store it) now. Exits 1 if any row was refused.
Python's standard library only.
"""

import csv
import datetime
import json
import os
import sys
import urllib.error
import urllib.request

BATCH = 1000  # the most entries one call takes


def bound(text, until):
    """RFC 3339 as is; a date as its UTC midnight (the day after, for not_after)."""
    text = text.strip()
    if not text or "T" in text:
        return text or None
    day = datetime.date.fromisoformat(text) + datetime.timedelta(days=1 if until else 0)
    return day.isoformat() + "T00:00:00Z"


def entries(path):
    with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet's BOM
        rows = csv.DictReader(f)
        if rows.fieldnames != ["name", "roles", "not_before", "not_after"]:
            sys.exit(f"error: {path}: the first row must be the header name,roles,not_before,not_after")
        for row in rows:
            grant = {"not_before": bound(row["not_before"] or "", False),
                     "not_after": bound(row["not_after"] or "", True)}
            grant = {k: v for k, v in grant.items() if v}
            roles = [r.strip() for r in (row["roles"] or "").split(";") if r.strip()]
            yield {"name": row["name"].strip(), "grants": [{"role": r, **grant} for r in roles]}


def post(url, token, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        sys.exit(f"error: {e.code}: {json.load(e).get('error', e.reason)}")


def main():
    args = [a for a in sys.argv[1:] if a != "--dry-run"]
    token = os.environ.get("TEMPCREDS_BROKER_TOKEN")
    if len(args) != 2 or not token:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    broker, path = args[0].rstrip("/"), args[1]
    query = "?dry_run=true" if "--dry-run" in sys.argv else ""
    class_ = list(entries(path))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["name", "status", "token", "error"])
    refused = 0
    for start in range(0, len(class_), BATCH):
        answer = post(f"{broker}/v1/admin/enrol{query}", token, class_[start:start + BATCH])
        for r in answer["results"]:
            refused += r["status"] == "error"
            error = r.get("error", "")
            if error.startswith("row ") and start:  # rows are numbered per call
                n, rest = error[4:].split(":", 1)
                error = f"row {int(n) + start}:{rest}"
            out.writerow([r["name"], r["status"], r.get("token", ""), error])
    sys.exit(1 if refused else 0)


if __name__ == "__main__":
    main()
