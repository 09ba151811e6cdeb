"""Summary of a scripts/fuzz-api run: reads the NDJSON report schemathesis wrote for each
token and prints requests sent, 5xx answers, connection failures and the findings.

usage: fuzz_api_summary.py OUT_DIR TOKEN... (OUT_DIR/TOKEN/events.ndjson, OUT_DIR/TOKEN/crashes)
Prints the table and the findings; the last line is `TOTAL requests=N 5xx=N crashes=N findings=N`.
"""

import base64
import collections
import json
import os
import sys


def text(blob, limit=300):
    if not blob:
        return ""
    if "$base64" in blob:
        raw = base64.b64decode(blob["$base64"])
    else:
        raw = str(blob.get("string", blob)).encode()
    s = raw.decode("utf-8", "replace").replace("\n", "\\n")
    return s if len(s) <= limit else s[:limit] + f"…(+{len(s) - limit} chars)"


def main():
    out, tokens = sys.argv[1], sys.argv[2:]
    rows, findings = [], collections.OrderedDict()
    totals = collections.Counter()
    for token in tokens:
        d = os.path.join(out, token)
        path = os.path.join(d, "events.ndjson")
        c = collections.Counter()
        def number(name):
            try:
                return int(open(os.path.join(d, name)).read().strip() or 0)
            except (OSError, ValueError):
                return 0

        crashes = number("crashes")  # the server process gone after this token's run
        c["panics"] = number("panics")  # handler panics in the server's log
        if not os.path.exists(path):
            rows.append((token, "no report", "", crashes + c["panics"], "", "", c["panics"], ""))
            c["crashes"] = crashes + c["panics"]
            totals.update(c)
            continue
        for line in open(path, encoding="utf-8"):
            ev = json.loads(line)
            if "NonFatalError" in ev:
                v = ev["NonFatalError"]
                key = ("error", v.get("label"), v["value"].get("type"), "")
                findings.setdefault(key, {"tokens": set(), "text": v["value"].get("message", "")[:400]})
                findings[key]["tokens"].add(token)
                c["errors"] += 1
            if "ScenarioFinished" not in ev:
                continue
            rec = ev["ScenarioFinished"]["recorder"]
            inter = rec.get("interactions", {})
            for case_id, it in inter.items():
                c["requests"] += 1
                resp = it.get("response")
                if resp is None:
                    c["no_answer"] += 1
                elif resp["status_code"] >= 500:
                    c["5xx"] += 1
            for case_id, checks in rec.get("checks", {}).items():
                for ch in checks:
                    if ch["status"] != "failure":
                        continue
                    f = (ch.get("failure_info") or {}).get("failure", {})
                    it = inter.get(case_id, {})
                    req, resp = it.get("request", {}), it.get("response") or {}
                    status = resp.get("status_code", "no answer")
                    key = (ch["name"], f.get("operation", rec.get("label")), f.get("title", ""), status)
                    c["failed_checks"] += 1
                    if key not in findings:
                        findings[key] = {
                            "tokens": set(),
                            "text": f.get("message", "").strip()[:600],
                            "request": f"{req.get('method')} {req.get('uri')} body={text(req.get('body'))!s}",
                            "answer": f"{status} {text(resp.get('content'))}",
                        }
                    findings[key]["tokens"].add(token)
        c["crashes"] = crashes + max(c["panics"], c["no_answer"])
        rows.append((token, c["requests"], c["5xx"], c["crashes"], c["failed_checks"], c["errors"],
                     c["panics"], c["no_answer"]))
        totals.update(c)

    head = ("token", "requests", "5xx", "crashes", "panics", "no answer", "failed checks", "errors")
    print(f"{head[0]:<18}" + "".join(f"{h:>14}" for h in head[1:]))
    for r in rows:
        token, req, s5, crashes, failed, errors, panics, no_answer = r
        print(f"{token:<18}" + "".join(f"{v!s:>14}" for v in (req, s5, crashes, panics, no_answer, failed, errors)))
    print(f"{'all':<18}" + "".join(f"{totals[k]:>14}" for k in
          ("requests", "5xx", "crashes", "panics", "no_answer", "failed_checks", "errors")))
    print("(crashes: the server gone after a token's run, plus handler panics or requests without any")
    print(" answer, whichever is more; failed checks: status-code and response-schema conformance)")
    print()
    if findings:
        print(f"findings ({len(findings)} unique: check, operation, what):")
        for i, (key, f) in enumerate(findings.items(), 1):
            check, op, title, status = key
            print(f"{i:3}. [{check}] {op}: {title} (answer {status}); tokens: {', '.join(sorted(f['tokens']))}")
            for label in ("text", "request", "answer"):
                if f.get(label):
                    print(f"       {label}: " + f[label].replace("\n", " | "))
    else:
        print("findings: none")
    print(f"TOTAL requests={totals['requests']} 5xx={totals['5xx']} crashes={totals['crashes']} "
          f"findings={len(findings)}")


if __name__ == "__main__":
    main()
