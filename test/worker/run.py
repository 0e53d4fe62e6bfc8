"""Runs the worker entrypoint's tests (test_*.py here) with unittest.

    python3 test/worker/run.py [-k PATTERN] [--json FILE]

--json writes unittest's own counts (testsRun, failures, errors, skipped, and the resulting passed
and failed) with the ids of the failed tests, for CI. Exits non-zero when a test failed or none ran.
"""
import argparse
import json
import os
import sys
import unittest


def main():
    parser = argparse.ArgumentParser(description="Runs the worker entrypoint's tests.")
    parser.add_argument("--json", metavar="FILE", help="write the counts to FILE")
    parser.add_argument("-k", dest="patterns", action="append", metavar="PATTERN", help="only tests matching PATTERN")
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [p if "*" in p else f"*{p}*" for p in args.patterns]
    suite = loader.discover(here, pattern="test_*.py", top_level_dir=here)
    result = unittest.TextTestRunner(verbosity=2, buffer=True).run(suite)

    failed_tests = result.failures + result.errors + [(t, "unexpected success") for t in result.unexpectedSuccesses]
    # A test counts once, however many of its subtests failed.
    failed_ids = list(dict.fromkeys(getattr(t, "test_case", t).id() for t, _ in failed_tests))
    failed = len(failed_ids)
    counts = {
        "testsRun": result.testsRun,
        "failures": len(result.failures),
        "errors": len(result.errors),
        "skipped": len(result.skipped),
        "expectedFailures": len(result.expectedFailures),
        "unexpectedSuccesses": len(result.unexpectedSuccesses),
        "passed": max(0, result.testsRun - failed - len(result.skipped) - len(result.expectedFailures)),
        "failed": failed,
        "failedTests": failed_ids,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(counts, f, indent=2)
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
